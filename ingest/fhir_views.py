"""FHIR R4 REST endpoints: POST /fhir/ (Bundle), POST and GET /fhir/{type}, GET /fhir/{type}/{id}."""
from __future__ import annotations

import re

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.http.request import QueryDict
from rest_framework.exceptions import (APIException, AuthenticationFailed, MethodNotAllowed, NotAcceptable,
                                       NotAuthenticated, PermissionDenied)
from rest_framework.views import APIView

from browser.permissions import HasCapability
from browser.roles import CURATE, RESEARCH

from cbir.errors import NotFound, request_too_big_message
from ingest import fhir_render, fhir_selectors
from ingest.fhir_intake import ingest_fhir_bundle, ingest_fhir_resource, read_fhir_json
from ingest.models import Order
from ingest.parsers.fhir import SUPPORTED_TYPES, FhirInvalid, FhirTypeNotServed

SEARCHABLE = {
    "Patient": (fhir_selectors.search_patients, fhir_render.render_patient),
    "DiagnosticReport": (fhir_selectors.search_reports, fhir_render.render_report),
    "Condition": (fhir_selectors.search_conditions, fhir_render.render_condition),
}


def fhir_response(resource: dict, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(resource, status=status, content_type=fhir_render.FHIR_JSON)
    for name, value in headers.items():
        response[name] = value
    return response


def outcome_response(issues: list[dict], status: int) -> JsonResponse:
    return fhir_response(fhir_render.operation_outcome(issues), status=status)


class FhirApi(APIView):
    """Errors come back as OperationOutcome, not the app's JSON error body.

    Scripts authenticate with 'Authorization: Token …'; writes are ingestion (curators), reads
    of the de-identified repository are for researchers and curators.
    """

    permission_classes = [HasCapability]
    required_capability = {"GET": (RESEARCH, CURATE), "POST": CURATE}

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # our own check below, in FHIR's terms

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if wants_only_xml(request):
            raise NotAcceptable("this server answers in FHIR JSON only (application/fhir+json); XML is not served")

    def handle_exception(self, exc):
        if isinstance(exc, FhirInvalid):  # an unknown type in the URL is 404 in FHIR's REST rules, not 400
            return outcome_response(exc.issues, 404 if isinstance(exc, FhirTypeNotServed) else 400)
        if isinstance(exc, NotFound):
            return outcome_response([{"severity": "error", "code": "not-found", "diagnostics": exc.message}], 404)
        if isinstance(exc, (NotAuthenticated, AuthenticationFailed, PermissionDenied)):
            return security_outcome(self, exc)
        if isinstance(exc, RequestDataTooBig):
            return outcome_response([{"severity": "error", "code": "too-long",
                                      "diagnostics": request_too_big_message()}], 413)
        if isinstance(exc, APIException):  # 405, 406 and the like: still an OperationOutcome, as R4 asks
            code = "not-supported" if isinstance(exc, (MethodNotAllowed, NotAcceptable)) else "processing"
            return outcome_response([{"severity": "error", "code": code, "diagnostics": str(exc.detail)}],
                                    exc.status_code)
        return super().handle_exception(exc)


class FhirBundleApi(FhirApi):
    def post(self, request):
        return fhir_response(ingest_fhir_bundle(data=read_fhir_json(request.body)))


class FhirMetadataApi(FhirApi):
    """GET /fhir/metadata: the CapabilityStatement, open to anyone (FHIR clients read it before signing in)."""

    permission_classes: list = []

    def get(self, request):
        return fhir_response(fhir_render.capability_statement(
            base_url=request.build_absolute_uri("/fhir").rstrip("/"), writable=list(SUPPORTED_TYPES),
            software_version="1"))


class FhirTypeApi(FhirApi):
    def post(self, request, resource_type: str):
        result = ingest_fhir_resource(data=read_fhir_json(request.body), resource_type=resource_type)
        issue = {"severity": "information", "code": "informational",
                 "diagnostics": "stored (de-identified)" if result.created else "already stored; nothing changed"}
        headers = {"Location": request.build_absolute_uri(f"/fhir/{result.location}")} if result.location else {}
        return fhir_response(fhir_render.operation_outcome([issue]), status=201 if result.created else 200, **headers)

    def get(self, request, resource_type: str):
        return fhir_response(search_bundle(request, resource_type, request.query_params))


class FhirReadApi(FhirApi):
    def get(self, request, resource_type: str, resource_id: str):
        if resource_type == "Patient":
            return fhir_response(fhir_render.render_patient(fhir_selectors.get_patient(resource_id)))
        params = QueryDict(mutable=True)
        params["_id"] = resource_id  # a value, never parsed as a query string ("1&_id=2" is not two parameters)
        bundle = search_bundle(request, resource_type, params)
        if not bundle["entry"]:
            raise NotFound(f"{resource_type}/{resource_id[:64]} is not known")
        return fhir_response(bundle["entry"][0]["resource"])


def wants_only_xml(request) -> bool:
    """_format=xml, or an Accept that names XML and no JSON (a bare */* or none at all gets JSON)."""
    requested = request.query_params.get("_format", "") or request.META.get("HTTP_ACCEPT", "")
    return "xml" in requested and "json" not in requested and "*/*" not in requested


def security_outcome(view: APIView, exc) -> JsonResponse:
    """401 (with the scheme to use) or 403 as an OperationOutcome."""
    denied = isinstance(exc, PermissionDenied)
    response = outcome_response([{"severity": "error", "code": "forbidden" if denied else "login",
                                  "diagnostics": str(exc.detail)}], 403 if denied else 401)
    if not denied:
        response["WWW-Authenticate"] = view.get_authenticate_header(view.request) or "Token"
    return response


def check_supported(resource_type: str, supported) -> None:
    if resource_type not in supported:
        raise FhirTypeNotServed(resource_type, supported)


def search_bundle(request, resource_type: str, params) -> dict:
    check_supported(resource_type, [*SEARCHABLE, "ImagingStudy"])
    params = understood_parameters(request, resource_type, params)
    count, offset = fhir_selectors.paging(params)
    if resource_type == "ImagingStudy":
        items, total = fhir_selectors.search_imaging_studies(params)
        resources = [fhir_render.render_order(item) if isinstance(item, Order) else fhir_render.render_study(item)
                     for item in items]
    else:
        search, render = SEARCHABLE[resource_type]
        page = search(params)
        items, total, resources = page.items, page.total, [render(item) for item in page.items]
    return fhir_render.searchset(resources, total=total, base_url=request.build_absolute_uri("/fhir").rstrip("/"),
                                 self_url=search_url(request, params),
                                 next_url=next_url(request, params, offset, count, total))


def understood_parameters(request, resource_type: str, params) -> QueryDict:
    """The parameters the search applies. Others are ignored (R4's lenient default) and left out of the links,
    so a client sees what was applied, or refused with 400 under 'Prefer: handling=strict'."""
    known = fhir_render.used_parameters(resource_type)
    unknown = sorted(set(params) - known - fhir_render.GENERAL_PARAMETERS)
    if unknown and "handling=strict" in request.META.get("HTTP_PREFER", "").replace(" ", ""):
        shown = ", ".join(re.sub(r"[^A-Za-z0-9_:.-]", "", name)[:40] for name in unknown[:5])
        raise FhirInvalid(f"unknown search parameter(s) for {resource_type}: {shown}", code="not-supported")
    understood = QueryDict(mutable=True)
    for name in params:
        if name in known:
            understood.setlist(name, params.getlist(name))
    return understood


def search_url(request, params) -> str:
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}" if params else request.path)


def next_url(request, params, offset: int, count: int, total: int) -> str:
    if offset + count >= total or count == 0:
        return ""
    following = params.copy()
    following["_offset"] = str(offset + count)
    return search_url(request, following)

