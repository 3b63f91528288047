"""Every endpoint x every role (and anonymous): allowed or refused, as the roles say.

Permissions are checked before a view looks anything up, so ids need not exist: "allowed" means
neither 401 nor 403 (a 404 or 400 still proves the role got through). A route missing from the
table fails the completeness test, so no endpoint is added without deciding who may use it.
"""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db

ROLES = ("student", "educator", "researcher", "curator", "admin")
EVERYONE = set(ROLES)
TEACHERS, RESEARCHERS, CURATORS = {"educator", "admin"}, {"researcher", "admin"}, {"curator", "admin"}
PUBLIC = "public"

# (route name, method, path, roles allowed or PUBLIC)
MATRIX = [
    ("search", "post", "/api/search/", EVERYONE),
    ("facets", "get", "/api/facets/", EVERYONE),
    ("image-list", "get", "/api/images/", EVERYONE),
    ("image-detail", "get", "/api/images/1/", EVERYONE),
    ("image-thumbnail", "get", "/api/images/1/thumbnail/", EVERYONE),
    ("image-pixels", "get", "/api/images/1/image/", EVERYONE),
    ("image-neighbours", "get", "/api/images/1/neighbours/", EVERYONE),
    ("image-raw", "get", "/api/images/1/raw/", EVERYONE),
    ("image-series", "get", "/api/images/1/series/", EVERYONE),
    ("encoder-list", "get", "/api/encoders/", EVERYONE),
    ("health", "get", "/api/health/", PUBLIC),
    ("logout", "post", "/api/auth/logout/", EVERYONE),
    ("me", "get", "/api/auth/me/", EVERYONE),
    ("teaching-set-list", "get", "/api/teaching-sets/", EVERYONE),
    ("teaching-set-list", "post", "/api/teaching-sets/", TEACHERS),
    ("teaching-set-detail", "get", "/api/teaching-sets/1/", EVERYONE),
    ("teaching-set-detail", "patch", "/api/teaching-sets/1/", TEACHERS),
    ("teaching-set-detail", "delete", "/api/teaching-sets/1/", TEACHERS),
    ("teaching-case-list", "post", "/api/teaching-sets/1/cases/", TEACHERS),
    ("teaching-case-detail", "patch", "/api/teaching-sets/1/cases/1/", TEACHERS),
    ("teaching-set-order", "post", "/api/teaching-sets/1/order/", TEACHERS),
    ("teaching-set-export", "get", "/api/teaching-sets/1/export/", TEACHERS),
    ("group-list", "get", "/api/groups/", TEACHERS),
    ("saved-search-list", "get", "/api/saved-searches/", RESEARCHERS),
    ("saved-search-list", "post", "/api/saved-searches/", RESEARCHERS),
    ("saved-search-detail", "get", "/api/saved-searches/1/", RESEARCHERS),
    ("saved-search-run", "post", "/api/saved-searches/1/run/", RESEARCHERS),
    ("saved-search-export", "get", "/api/saved-searches/1/export/", RESEARCHERS),
    ("audit-list", "get", "/api/audit/", CURATORS),
    ("upload-ingest", "post", "/api/curation/uploads/", CURATORS),
    ("rejection-list", "get", "/api/curation/rejections/", CURATORS),
    ("quarantine-list", "get", "/api/curation/quarantine/", CURATORS),
    ("quarantine-decision", "post", "/api/curation/quarantine/1/", CURATORS),
    ("repository-map", "get", "/api/map/", EVERYONE),
    ("why-similar", "get", "/api/images/1/why-similar/", EVERYONE),
    ("why-similar-upload", "post", "/api/why-similar/", EVERYONE),
    ("evaluation-list", "get", "/api/evaluations/", EVERYONE),
    ("hl7-message", "post", "/api/hl7/", CURATORS),
    ("fhir-bundle", "post", "/fhir/", CURATORS),
    ("fhir-type", "get", "/fhir/Condition", {"researcher", "curator", "admin"}),
    ("fhir-type", "post", "/fhir/Condition", CURATORS),
    ("fhir-read", "get", "/fhir/Condition/1", {"researcher", "curator", "admin"}),
    ("fhir-metadata", "get", "/fhir/metadata", PUBLIC),
    ("stow-rs", "post", "/dicomweb/studies", CURATORS),
    ("stow-rs-study", "post", "/dicomweb/studies/1.2.3.4.5", CURATORS),
    ("frontend-index", "get", "/", PUBLIC),
    ("js-catalogue", "get", "/jsi18n/es/", PUBLIC),
]
# Routes whose access is tested on their own (signing in needs no account by definition).
TESTED_ELSEWHERE = {"login"}


def all_route_names(resolver=None) -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if getattr(pattern, "app_name", None) != "admin":
                names |= all_route_names(pattern)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_named_route_is_in_the_matrix():
    covered = {name for name, *_ in MATRIX} | TESTED_ELSEWHERE

    assert all_route_names() - covered == set()


@pytest.fixture(scope="module")
def users(django_db_blocker):
    with django_db_blocker.unblock():
        return {role: make_user(role, username=f"matrix-{role}") for role in ROLES}


def client_for(role, users) -> APIClient:
    client = APIClient()
    if role is not None:
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("name, method, path, allowed", MATRIX, ids=[f"{m} {p}" for _, m, p, _ in MATRIX])
@pytest.mark.parametrize("role", (None, *ROLES), ids=("anonymous", *ROLES))
def test_role_is_allowed_or_refused(users, role, name, method, path, allowed):
    response = getattr(client_for(role, users), method)(path, {}, format="json" if method != "get" else None)

    if allowed == PUBLIC or (role is not None and role in allowed):
        assert response.status_code not in (401, 403), f"{role} refused on {method.upper()} {path}"
    elif role is None:
        assert response.status_code == 401, f"anonymous got {response.status_code} on {method.upper()} {path}"
    else:
        assert response.status_code == 403, f"{role} got {response.status_code} on {method.upper()} {path}"
