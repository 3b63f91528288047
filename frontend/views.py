"""Serve the built single-page app (frontend/dist/index.html) at the site root, and its
translations as Django's JavaScript catalogue."""
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils import translation
from django.views.i18n import JSONCatalog
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

NOT_BUILT_MESSAGE = "frontend not built: run make demo"
LANGUAGE_OPTIONS = re.compile(r"(<!--languages:[^>]*-->).*?(<!--/languages-->)", re.DOTALL)


@require_safe
@ensure_csrf_cookie  # the app sends it back as X-CSRFToken on POST /api/search/
def index(request):
    """Read index.html at request time, so a rebuild needs no restart."""
    index_path = settings.FRONTEND_DIST / "index.html"
    try:
        html = index_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT_MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(with_language_options(html), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # hashed assets are cached; the page that names them is not
    return response


def with_language_options(html: str) -> str:
    """The language menu lists settings.LANGUAGES, the one list of languages (the UI reads its
    choices from this menu); the page's own options between the markers are the fallback."""
    options = "".join(f'<option value="{escape(code)}">{escape(name)}</option>' for code, name in settings.LANGUAGES)
    return LANGUAGE_OPTIONS.sub(lambda match: f"{match.group(1)}{options}{match.group(2)}", html, count=1)


class LanguageCatalogue(JSONCatalog):
    """Django's JSON catalogue of the app's UI strings (domain djangojs, frontend/locale/) in the
    language named by the URL rather than the request's: the UI switches language without a
    reload or a cookie round trip. Entries are keyed "key\x04English text" (msgctxt = the UI key),
    so the same English words may translate differently in two places."""

    packages = ["frontend"]

    def get(self, request, *args, **kwargs):
        language = kwargs.pop("language")
        if language not in dict(settings.LANGUAGES):
            known = ", ".join(code for code, _ in settings.LANGUAGES)
            return JsonResponse({"detail": f"unknown language {language!r}; known: {known}"}, status=404)
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-cache"
        return response
