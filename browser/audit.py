"""The audit log: searches, case views and exports, by our own ids only."""
from __future__ import annotations

import logging

from browser.accounts import client_address
from browser.models import AuditEvent

logger = logging.getLogger(__name__)

SEARCH, VIEW_CASE, EXPORT = "search", "view_case", "export"
SIGN_IN, SIGN_IN_FAILED = "sign_in", "sign_in_failed"


def record_event(*, user, action: str, target: str = "", detail: dict | None = None) -> AuditEvent:
    event = AuditEvent.objects.create(user=user if user and user.is_authenticated else None, action=action,
                                      target=target, detail=detail or {})
    logger.info("audit %s by user %s on %s", action, event.user_id, target or "-")
    return event


# URL name -> audit action, for requests that succeed.
AUDITED_ROUTES = {"search": SEARCH, "image-detail": VIEW_CASE, "image-neighbours": SEARCH,
                  "fhir-type": SEARCH, "fhir-read": VIEW_CASE}  # reading clinical records over FHIR
READ_AUDITED_ONLY = {"fhir-type"}  # its POST is ingestion, recorded as an inbound message


def record_sign_in(sender, request, user, **kwargs) -> None:
    record_event(user=user, action=SIGN_IN, detail={"address": client_address(request)})


def record_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    # the attempted name is not kept: people type passwords into it
    address = client_address(request) if request is not None else ""
    record_event(user=None, action=SIGN_IN_FAILED, detail={"address": address})


class AuditMiddleware:
    """Records searches and case views after a successful response, whatever view served them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        action = AUDITED_ROUTES.get(match.url_name) if match else None
        if action and match.url_name in READ_AUDITED_ONLY and request.method not in ("GET", "HEAD"):
            action = None
        if action and response.status_code < 400:
            image_id = match.kwargs.get("image_id")
            record_event(user=getattr(request, "user", None), action=action,
                         target=f"image:{image_id}" if image_id else "",
                         detail={"method": request.method, "path": request.path})
        return response
