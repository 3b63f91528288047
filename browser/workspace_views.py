"""HTTP API of the users' workspace: sign-in, teaching sets, saved searches, audit log."""
from __future__ import annotations

import json

from django.contrib.auth import authenticate, login, logout
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from browser import accounts, audit, exports, saved_searches, teaching
from browser.filters import Filters
from browser.models import AuditEvent
from browser.permissions import HasCapability
from browser.roles import BROWSE, CURATE, RESEARCH, TEACH, capabilities_of, roles_of
from cbir.errors import CbirError
from cbir.paging import page_of, page_params, paged_response
from embeddings.selectors import get_default_encoder_name


class JsonObjectField(serializers.Field):
    """A JSON object, given as one (JSON bodies) or as a JSON string (multipart forms)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data or "{}")
            except json.JSONDecodeError as exc:
                raise serializers.ValidationError(f"not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be a JSON object")
        return data

    def to_representation(self, value):
        return value


class WorkspaceApi(APIView):
    permission_classes = [HasCapability]


# --- accounts -------------------------------------------------------------------------------

def user_payload(user, request) -> dict:
    return {"username": user.username, "roles": roles_of(user), "capabilities": sorted(capabilities_of(user)),
            "csrf_token": get_token(request)}


class LoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def initial(self, request, *args, **kwargs):
        # CSRF even before a session exists: another site must not sign a visitor into an account of its
        # own choosing (whatever they then upload or save would land there). The page sets the token cookie.
        SessionAuthentication().enforce_csrf(request)
        super().initial(request, *args, **kwargs)

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=200)

    def post(self, request):
        credentials = self.InputSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        username, address = credentials.validated_data["username"], accounts.client_address(request)
        refusal = accounts.login_refusal(username, address)
        if refusal:
            return Response({"error": refusal}, status=status.HTTP_429_TOO_MANY_REQUESTS,
                            headers={"Retry-After": str(accounts.LOGIN_FAILURE_WINDOW_SECONDS)})
        user = authenticate(request, **credentials.validated_data)
        if user is None:
            accounts.record_login_failure(username, address)
            return Response({"error": "wrong username or password"}, status=status.HTTP_401_UNAUTHORIZED)
        accounts.clear_login_failures(username)
        login(request, user)
        return Response(user_payload(user, request))


class LogoutApi(WorkspaceApi):
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(ensure_csrf_cookie, name="dispatch")  # a page whose cookie was cleared can still sign in
class MeApi(WorkspaceApi):
    def get(self, request):
        return Response(user_payload(request.user, request))


# --- teaching sets --------------------------------------------------------------------------

TEXT_LIMIT = 10_000  # characters of a description or note: a page of teaching text, not a document store


def case_payload(case) -> dict:
    image = case.image
    return {"id": case.pk, "position": case.position, "image_id": image.pk, "label": image.label,
            "modality": image.modality, "thumbnail_url": f"/api/images/{image.pk}/thumbnail/",
            "teaching_note": case.teaching_note, "key_findings": case.key_findings}


def teaching_set_payload(teaching_set, user, *, with_cases: bool, may_edit=None) -> dict:
    """`may_edit`: teaching.edit_rights(user), when many sets are listed; counts come annotated from
    teaching.with_case_counts when present."""
    counted = hasattr(teaching_set, "shown_count")
    payload = {"id": teaching_set.pk, "title": teaching_set.title, "description": teaching_set.description,
               "owner": teaching_set.owner.username, "is_shared_with_students": teaching_set.is_shared_with_students,
               "shared_with_groups": sorted(group.name for group in teaching_set.shared_with_groups.all()),
               "can_edit": (may_edit or teaching.edit_rights(user))(teaching_set),
               "case_count": teaching_set.shown_count if counted else teaching.shown_cases(teaching_set).count(),
               # quarantined since they were added
               "withheld_case_count": (teaching_set.withheld_count if counted
                                       else teaching.withheld_case_count(teaching_set)),
               "updated_at": teaching_set.updated_at}
    if with_cases:
        payload["cases"] = [case_payload(case) for case in teaching.shown_cases(teaching_set).select_related("image")]
    return payload


class TeachingSetListApi(WorkspaceApi):
    required_capability = {"GET": BROWSE, "POST": TEACH}

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, default="", allow_blank=True, max_length=TEXT_LIMIT)

    class ListSerializer(serializers.Serializer):
        editable = serializers.BooleanField(required=False, default=False)

    def get(self, request):
        page = page_params(request)
        wanted = self.ListSerializer(data=request.query_params)
        wanted.is_valid(raise_exception=True)
        # ?editable=true: the sets one may add cases to, so a picker finds them past the first page
        sets = (teaching.editable_teaching_sets if wanted.validated_data["editable"]
                else teaching.visible_teaching_sets)(request.user)
        shown = teaching.with_case_counts(sets.select_related("owner"))[page["offset"]:page["offset"] + page["limit"]]
        may_edit = teaching.edit_rights(request.user)
        return paged_response([teaching_set_payload(s, request.user, with_cases=False, may_edit=may_edit)
                               for s in shown], sets.count())

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = teaching.create_teaching_set(owner=request.user, **data.validated_data)
        return Response(teaching_set_payload(created, request.user, with_cases=True), status=status.HTTP_201_CREATED)


class TeachingSetDetailApi(WorkspaceApi):
    required_capability = {"GET": BROWSE, "*": TEACH}

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LIMIT)
        is_shared_with_students = serializers.BooleanField(required=False)
        shared_with_groups = serializers.ListField(child=serializers.CharField(max_length=150), required=False)

    def get(self, request, set_id: int):
        found = teaching.get_visible_set(request.user, set_id)
        return Response(teaching_set_payload(found, request.user, with_cases=True))

    def patch(self, request, set_id: int):
        editable = teaching.get_editable_set(request.user, set_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        groups = changes.pop("shared_with_groups", None)
        updated = teaching.update_teaching_set(teaching_set=editable, group_names=groups, **changes)
        return Response(teaching_set_payload(updated, request.user, with_cases=True))

    def delete(self, request, set_id: int):
        teaching.get_editable_set(request.user, set_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeachingCaseListApi(WorkspaceApi):
    required_capability = TEACH

    class InputSerializer(serializers.Serializer):
        image_id = serializers.IntegerField(min_value=1)
        teaching_note = serializers.CharField(required=False, default="", allow_blank=True, max_length=TEXT_LIMIT)
        key_findings = serializers.CharField(required=False, default="", allow_blank=True, max_length=TEXT_LIMIT)

    def post(self, request, set_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = teaching.add_case(teaching_set=teaching.get_editable_set(request.user, set_id), **data.validated_data)
        return Response(case_payload(case), status=status.HTTP_201_CREATED)


class TeachingCaseDetailApi(WorkspaceApi):
    required_capability = TEACH

    class InputSerializer(serializers.Serializer):
        teaching_note = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LIMIT)
        key_findings = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LIMIT)

    def patch(self, request, set_id: int, case_id: int):
        case = teaching.get_case(teaching.get_editable_set(request.user, set_id), case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(case_payload(teaching.annotate_case(case=case, **data.validated_data)))

    def delete(self, request, set_id: int, case_id: int):
        teaching.remove_case(case=teaching.get_case(teaching.get_editable_set(request.user, set_id), case_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeachingSetOrderApi(WorkspaceApi):
    required_capability = TEACH

    class InputSerializer(serializers.Serializer):
        case_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)

    def post(self, request, set_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cases = teaching.reorder_cases(teaching_set=teaching.get_editable_set(request.user, set_id),
                                       case_ids=data.validated_data["case_ids"])
        return Response([case_payload(case) for case in cases])


class TeachingSetExportApi(WorkspaceApi):
    required_capability = TEACH

    def get(self, request, set_id: int):
        image_format = request.query_params.get("format", "png")
        if image_format not in ("png", "dicom"):
            raise CbirError("format must be png or dicom")
        found = teaching.get_editable_set(request.user, set_id)
        archive = exports.export_teaching_set_zip(found, image_format=image_format)
        audit.record_event(user=request.user, action=audit.EXPORT, target=f"teaching_set:{found.pk}",
                           detail={"format": image_format, "cases": teaching.shown_cases(found).count()})
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="teaching-set-{found.pk}.zip"'
        return response


class GroupListApi(WorkspaceApi):
    """GET /api/groups/: the groups an educator may share a teaching set with."""

    required_capability = TEACH

    def get(self, request):
        return Response([{"name": group.name, "member_count": group.member_count}
                         for group in teaching.list_shareable_groups()])


# --- saved searches -------------------------------------------------------------------------

class SavedSearchListApi(WorkspaceApi):
    required_capability = RESEARCH
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        image = serializers.FileField(required=False, allow_empty_file=False)
        image_id = serializers.IntegerField(required=False, min_value=1)
        q = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)
        k = serializers.IntegerField(required=False, default=20, min_value=1, max_value=200)
        encoder = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
        ranking = serializers.ChoiceField(choices=["filter", "fused"], required=False, default="filter")
        filters = JsonObjectField(required=False, default=dict)

    def get(self, request):
        return Response([saved_searches.saved_search_payload(s)
                         for s in request.user.saved_searches.select_related("encoder_version")])

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = values.get("image")
        from ingest.uploads import read_upload

        saved = saved_searches.create_saved_search(
            owner=request.user, name=values["name"], encoder=values["encoder"] or get_default_encoder_name(),
            k=values["k"], filters=filters_from(values["filters"], request), q=values["q"], ranking=values["ranking"],
            image_data=read_upload(upload) if upload else None, image_id=values.get("image_id"))
        return Response(saved_searches.saved_search_payload(saved), status=status.HTTP_201_CREATED)


def filters_from(values: dict, request) -> Filters:
    """The saved filters, validated as a search's are (a teaching set must be one the user may see)."""
    from browser.views import FILTER_NAMES, FilterFields

    unknown = sorted(set(values) - set(FILTER_NAMES))
    if unknown:
        raise CbirError(f"unknown filter: {', '.join(unknown)}")
    fields = FilterFields(data=values, context={"request": request})
    fields.is_valid(raise_exception=True)
    return fields.filters()


class SavedSearchDetailApi(WorkspaceApi):
    required_capability = RESEARCH

    def get(self, request, saved_id: int):
        return Response(saved_searches.saved_search_payload(
            saved_searches.get_own_saved_search(request.user, saved_id)))

    def delete(self, request, saved_id: int):
        saved_searches.get_own_saved_search(request.user, saved_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedSearchRunApi(WorkspaceApi):
    required_capability = RESEARCH

    def post(self, request, saved_id: int):
        saved = saved_searches.get_own_saved_search(request.user, saved_id)
        result = saved_searches.run_saved_search(saved)
        audit.record_event(user=request.user, action=audit.SEARCH, target=f"saved_search:{saved.pk}")
        return Response(result)


class SavedSearchExportApi(WorkspaceApi):
    required_capability = RESEARCH

    def get(self, request, saved_id: int):
        saved = saved_searches.get_own_saved_search(request.user, saved_id)
        result = saved_searches.run_saved_search(saved)
        audit.record_event(user=request.user, action=audit.EXPORT, target=f"saved_search:{saved.pk}",
                           detail={"results": len(result["results"])})
        response = HttpResponse(exports.results_csv(result["results"]), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="saved-search-{saved.pk}.csv"'
        return response


# --- audit ----------------------------------------------------------------------------------

class AuditEventListApi(WorkspaceApi):
    required_capability = CURATE

    def get(self, request):
        total, events = page_of(AuditEvent.objects.order_by("-created_at", "-id").select_related("user"),
                                **page_params(request))
        return paged_response([{"id": e.pk, "user": e.user.username if e.user else None, "action": e.action,
                                "target": e.target, "detail": e.detail, "created_at": e.created_at}
                               for e in events], total)


# --- repository map -------------------------------------------------------------------------

class RepositoryMapApi(WorkspaceApi):
    """GET /api/map/?encoder=&label=&modality=...: the offline 2-D map, filtered."""

    def get(self, request):
        from browser.map_service import read_repository_map
        from browser.services.search import allowed_ids
        from browser.views import FilterFields
        from browser.services.indexing import get_serving_version

        query = FilterFields(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        version = get_serving_version(request.query_params.get("encoder") or get_default_encoder_name())
        return Response(read_repository_map(version, allowed_ids=allowed_ids(query.filters())))


# --- why similar ----------------------------------------------------------------------------

class WhySimilarApi(WorkspaceApi):
    """GET /api/images/{result_id}/why-similar/?query_image_id=; POST /api/why-similar/ with an image."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        query_image_id = serializers.IntegerField(required=False, min_value=1)
        result_id = serializers.IntegerField(required=False, min_value=1)
        image = serializers.FileField(required=False, allow_empty_file=False)
        encoder = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)

    def get(self, request, result_id: int):
        return self.explain(request.query_params, result_id=result_id)

    def post(self, request):
        return self.explain(request.data, result_id=None)

    def explain(self, payload, *, result_id: int | None):
        from browser.why_similar import explain_similarity
        from ingest.uploads import read_upload

        data = self.InputSerializer(data=payload)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result_id = result_id or values.get("result_id")
        if result_id is None:
            raise CbirError("result_id is required")
        upload = values.get("image")
        return Response(explain_similarity(result_id=result_id, encoder=values["encoder"] or get_default_encoder_name(),
                                           query_image_id=values.get("query_image_id"),
                                           query_data=read_upload(upload) if upload else None))


# --- curation -------------------------------------------------------------------------------

class RejectionListApi(WorkspaceApi):
    required_capability = CURATE

    def get(self, request):
        from browser.curation import list_rejections

        total, rejections = list_rejections(**page_params(request))
        return paged_response([{"id": r.pk, "channel": r.channel, "reason": r.reason, "detail": r.detail,
                                "created_at": r.created_at} for r in rejections], total)


class QuarantineListApi(WorkspaceApi):
    required_capability = CURATE

    def get(self, request):
        from browser.curation import list_quarantined

        total, held = list_quarantined(**page_params(request))
        return paged_response([{"id": image.pk, "reason": image.status_reason, "modality": image.modality,
                                "dataset": image.series.study.dataset.name, "created_at": image.created_at,
                                "thumbnail_url": f"/api/images/{image.pk}/thumbnail/"} for image in held], total)


class QuarantineDecisionApi(WorkspaceApi):
    required_capability = CURATE

    class InputSerializer(serializers.Serializer):
        reviewer_note = serializers.CharField(max_length=1000, allow_blank=True)

    def post(self, request, image_id: int):
        from browser.curation import get_quarantined, release_from_quarantine

        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = release_from_quarantine(image=get_quarantined(image_id), **data.validated_data)
        audit.record_event(user=request.user, action="release", target=f"image:{image.pk}")
        return Response({"id": image.pk, "status": image.status, "status_reason": image.status_reason})

    def delete(self, request, image_id: int):
        from browser.curation import delete_quarantined, get_quarantined

        delete_quarantined(image=get_quarantined(image_id))
        audit.record_event(user=request.user, action="delete", target=f"image:{image_id}")
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadIngestApi(WorkspaceApi):
    """POST /api/curation/uploads/: files (several) + dataset (+ label, modality, body_part) into the repository."""

    required_capability = CURATE
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        files = serializers.ListField(child=serializers.FileField(allow_empty_file=False), allow_empty=False)
        dataset = serializers.CharField(max_length=200, required=False, default="uploads")
        label = serializers.CharField(max_length=128, required=False, default="", allow_blank=True)
        modality = serializers.CharField(max_length=16, required=False, default="", allow_blank=True)
        body_part = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)

    def post(self, request):
        from dataclasses import asdict

        from ingest.models import Dataset
        from ingest.uploads import ingest_uploads

        data = self.InputSerializer(data={**request.data.dict(), "files": request.FILES.getlist("files")})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        labels = {key: values[key] for key in ("label", "modality", "body_part") if values[key]}
        dataset, created = Dataset.objects.get_or_create(name=values["dataset"])
        outcomes = ingest_uploads(files=values["files"], dataset=dataset,
                                  labels_row={"file": "", **labels} if labels else None)
        if created and not dataset.studies.exists():  # every file refused: no empty dataset in the facets
            dataset.delete()
        return Response([asdict(outcome) for outcome in outcomes], status=status.HTTP_201_CREATED)
