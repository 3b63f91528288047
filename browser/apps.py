"""App config of the browser (search) app."""
from django.apps import AppConfig


class BrowserConfig(AppConfig):
    name = "browser"
    verbose_name = "Similarity browser"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from browser import signals  # noqa: F401  (connects the keyword-index handlers)
        from browser import audit

        user_logged_in.connect(audit.record_sign_in, dispatch_uid="audit-sign-in")
        user_login_failed.connect(audit.record_failed_sign_in, dispatch_uid="audit-sign-in-failed")
