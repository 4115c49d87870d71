from app.services.helpers import save as persist

__all__ = ["persist"]
