"""App config of the browser (search) app."""
from django.apps import AppConfig


class BrowserConfig(AppConfig):
    name = "browser"
    verbose_name = "Similarity browser"

    def ready(self) -> None:
        from browser import signals  # noqa: F401  (connects the keyword-index handlers)
