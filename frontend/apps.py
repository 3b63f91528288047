"""App config of the frontend app (serves the built JS app)."""
from django.apps import AppConfig


class FrontendConfig(AppConfig):
    name = "frontend"
