"""DRF permission: the view names the capability it needs (default: browse)."""
from rest_framework.permissions import BasePermission

from browser.roles import BROWSE, has_capability


class HasCapability(BasePermission):
    """Anonymous -> 401 (via DRF's authenticate header); authenticated without the capability -> 403."""

    message = "your role does not allow this"

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = getattr(view, "required_capability", BROWSE)
        if isinstance(needed, dict):  # per HTTP method, e.g. {"GET": BROWSE, "POST": TEACH}
            method = "GET" if request.method == "HEAD" else request.method  # HEAD runs get(): same rights
            needed = needed.get(method, needed.get("*", BROWSE))
        if needed is None:
            return True
        alternatives = needed if isinstance(needed, tuple) else (needed,)  # a tuple: any one of them
        return any(has_capability(request.user, capability) for capability in alternatives)
