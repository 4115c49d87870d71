from app.plugins import get_active

# Looked up by name and called synchronously by the plugin loader.
LOOKUPS = {"active": get_active}
