from app.plugins import get_active, reactivate_flow, refresh_all

# Looked up by name and called synchronously by the plugin loader.
LOOKUPS = {"active": get_active, "refresh": refresh_all, "reactivate": reactivate_flow}
