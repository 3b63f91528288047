"""Serve the built single-page app (frontend/dist/index.html) at the site root."""
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

NOT_BUILT_MESSAGE = "frontend not built: run make demo"


@require_safe
@ensure_csrf_cookie  # the app sends it back as X-CSRFToken on POST /api/search/
def index(request):
    """Read index.html at request time, so a rebuild needs no restart."""
    index_path = settings.FRONTEND_DIST / "index.html"
    try:
        html = index_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT_MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # hashed assets are cached; the page that names them is not
    return response
