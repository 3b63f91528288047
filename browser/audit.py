"""The audit log: searches, case views and exports, by our own ids only."""
from __future__ import annotations

import logging

from browser.models import AuditEvent

logger = logging.getLogger(__name__)

SEARCH, VIEW_CASE, EXPORT = "search", "view_case", "export"


def record_event(*, user, action: str, target: str = "", detail: dict | None = None) -> AuditEvent:
    event = AuditEvent.objects.create(user=user if user and user.is_authenticated else None, action=action,
                                      target=target, detail=detail or {})
    logger.info("audit %s by user %s on %s", action, event.user_id, target or "-")
    return event


# URL name -> audit action, for requests that succeed.
AUDITED_ROUTES = {"search": SEARCH, "image-detail": VIEW_CASE, "image-neighbours": SEARCH}


class AuditMiddleware:
    """Records searches and case views after a successful response, whatever view served them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        action = AUDITED_ROUTES.get(match.url_name) if match else None
        if action and response.status_code < 400:
            image_id = match.kwargs.get("image_id")
            record_event(user=getattr(request, "user", None), action=action,
                         target=f"image:{image_id}" if image_id else "",
                         detail={"method": request.method, "path": request.path})
        return response
