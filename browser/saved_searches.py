"""Saved searches: a researcher keeps a query (parameters, encoder version and, for an
uploaded image, only its embedding vector) and re-runs or exports it later."""
from __future__ import annotations

import numpy as np
from django.contrib.auth.models import User
from django.utils import timezone

from browser.filters import Filters
from browser.models import SavedSearch
from browser.services.indexing import get_serving_version
from cbir.errors import CbirError, NotFound
from embeddings.services import embed_pixels, vector_bytes
from ingest.parsers import parse_image_bytes
from ingest.selectors import get_image


def create_saved_search(*, owner: User, name: str, encoder: str, k: int, filters: Filters, q: str = "",
                        ranking: str = "filter", image_data: bytes | None = None,
                        image_id: int | None = None) -> SavedSearch:
    if image_data is not None and image_id is not None:
        raise CbirError("give at most one of an image file or image_id")
    if image_data is None and image_id is None and not q.strip():
        raise CbirError("a saved search needs an image, an image_id or keywords")
    if image_data is None and image_id is None and ranking == "fused":
        raise CbirError("ranking 'fused' needs an image query besides 'q'")  # as a search refuses it
    version = get_serving_version(encoder)
    vector = None
    if image_data is not None:
        vector = vector_bytes(embed_pixels([parse_image_bytes(image_data).pixels], version)[0])
    if image_id is not None:
        get_image(image_id)  # 404 now rather than at every re-run
    parameters = {"k": k, "q": q, "ranking": ranking, "filters": filters.active(), "image_id": image_id}
    return SavedSearch.objects.create(owner=owner, name=name.strip(), parameters=parameters,
                                      encoder_version=version, query_vector=vector)


def get_own_saved_search(owner: User, saved_id: int) -> SavedSearch:
    saved = SavedSearch.objects.filter(owner=owner, pk=saved_id).select_related("encoder_version").first()
    if saved is None:
        raise NotFound(f"no saved search {saved_id} of yours")
    return saved


def run_saved_search(saved: SavedSearch) -> dict:
    """Re-run with the saved parameters; an uploaded query reuses its stored vector and encoder version."""
    from browser.services.search import (SearchOptions, Stopwatch, search_by_image_id, search_by_keywords,
                                         search_by_vector)

    parameters = saved.parameters
    filters = Filters(**parameters.get("filters", {}))
    refuse_invisible_teaching_set(saved.owner, filters.teaching_set)
    common = {"k": parameters["k"], "filters": filters}
    if saved.query_vector is not None:
        vector = np.frombuffer(bytes(saved.query_vector), dtype="<f4")
        options = SearchOptions(q=parameters.get("q", ""), ranking=parameters.get("ranking", "filter"), **common)
        result = search_by_vector(vector, version=saved.encoder_version, options=options, clock=Stopwatch(),
                                  query_image_id=None)
    elif parameters.get("image_id"):
        result = search_by_image_id(image_id=parameters["image_id"], encoder=saved.encoder_version.name,
                                    q=parameters.get("q", ""), ranking=parameters.get("ranking", "filter"), **common)
    else:
        result = search_by_keywords(q=parameters["q"], encoder=saved.encoder_version.name, **common)
    SavedSearch.objects.filter(pk=saved.pk).update(last_run_at=timezone.now())
    result["query"]["saved_search"] = {"id": saved.pk, "name": saved.name,
                                       "saved_encoder_version": saved.encoder_version.version,
                                       "outdated": outdated_note(saved)}
    return result


def outdated_note(saved: SavedSearch) -> str:
    """Why an uploaded-image search may miss images, or "": its stored vector only fits its own encoder
    version, whose index stops growing once a newer version serves (the query image itself is not kept)."""
    from browser.services.indexing import get_serving_version

    if saved.query_vector is None:
        return ""
    try:
        serving = get_serving_version(saved.encoder_version.name)
    except CbirError:  # no active version (or the encoder is gone): nothing newer to point to
        return ""
    if serving.pk == saved.encoder_version_id:
        return ""
    return (f"saved with {saved.encoder_version.name}@{saved.encoder_version.version}; search now uses "
            f"@{serving.version}, and images stored since then are not in the saved version's index: "
            "upload the query image again for a current search")


def refuse_invisible_teaching_set(user, teaching_set_id: int | None) -> None:
    """A set unshared since the search was saved must not keep revealing its cases."""
    from browser.teaching import is_visible_set

    if teaching_set_id is not None and not is_visible_set(user, teaching_set_id):
        raise CbirError(f"this saved search filters on teaching set {teaching_set_id}, which you may no longer see")


def saved_search_payload(saved: SavedSearch) -> dict:
    return {"id": saved.pk, "name": saved.name, "parameters": saved.parameters,
            "encoder": saved.encoder_version.name if saved.encoder_version else None,
            "encoder_version": saved.encoder_version.version if saved.encoder_version else None,
            "has_uploaded_query": saved.query_vector is not None, "created_at": saved.created_at,
            "last_run_at": saved.last_run_at}
