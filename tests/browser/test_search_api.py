"""POST /api/search/: answers, filters, and every kind of bad input."""
import io
from pathlib import Path

import pytest

from ingest.models import Image
from tests.factories import dicom_bytes, png_bytes

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "query.png"):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def first_image_of(datasets_dir: Path, label: str) -> bytes:
    return sorted((datasets_dir / "brain_tumor_mri" / "images" / label).glob("*.png"))[0].read_bytes()


def test_search_by_upload_returns_k_results_ordered_by_distance(api_client, brain_repository, datasets_dir):
    response = api_client.post("/api/search/", {"image": upload(first_image_of(datasets_dir, "glioma")), "k": 12})

    assert response.status_code == 200, response.content
    body = response.json()
    distances = [result["distance"] for result in body["results"]]
    assert len(body["results"]) == 12 and distances == sorted(distances)
    assert body["results"][0]["score"] == pytest.approx(1 / (1 + distances[0]), rel=1e-4)
    assert body["query"]["encoder"] == "baseline" and body["query"]["encoder_version"] == "1"
    assert set(body["query"]["timings_ms"]) == {"decode", "embed", "search", "graph"}


def test_search_result_carries_what_the_graph_and_panel_need(api_client, brain_repository, datasets_dir):
    body = api_client.post("/api/search/", {"image": upload(first_image_of(datasets_dir, "glioma")), "k": 5}).json()

    result = body["results"][0]
    assert {"id", "distance", "score", "thumbnail_url", "label", "modality", "metadata"} <= set(result)
    assert result["thumbnail_url"] == f"/api/images/{result['id']}/thumbnail/"
    assert result["modality"] == "MR" and result["dataset"] == "brain_tumor_mri"
    result_ids = {r["id"] for r in body["results"]}
    assert {edge["target"] for edge in body["edges"] if edge["source"] == "query"} == result_ids


def test_the_query_image_itself_is_found_first(api_client, brain_repository, datasets_dir):
    from ingest.services import content_hash

    stored = Image.objects.filter(label="pituitary").first()
    original = next(path for path in (datasets_dir / "brain_tumor_mri" / "images" / "pituitary").glob("*.png")
                    if content_hash(path.read_bytes()) == stored.content_hash)

    body = api_client.post("/api/search/", {"image": upload(original.read_bytes()), "k": 3}).json()

    assert body["results"][0]["distance"] < 0.01 and body["results"][0]["label"] == "pituitary"


def test_label_filter_returns_only_that_label_and_still_k(api_client, brain_repository, datasets_dir):
    query = upload(first_image_of(datasets_dir, "glioma"))

    body = api_client.post("/api/search/", {"image": query, "k": 15, "label": "notumor"}).json()

    assert len(body["results"]) == 15
    assert {result["label"] for result in body["results"]} == {"notumor"}


def test_search_by_image_id_leaves_the_image_out(api_client, brain_repository):
    image_id = brain_repository[0]

    body = api_client.post("/api/search/", {"image_id": image_id, "k": 5}, format="json").json()

    assert len(body["results"]) == 5 and image_id not in {r["id"] for r in body["results"]}


def test_a_query_stores_nothing(api_client, brain_repository, datasets_dir, settings):
    images_before = Image.objects.count()
    files_before = sorted(Path(settings.MEDIA_ROOT).rglob("*"))

    response = api_client.post("/api/search/", {"image": upload(png_bytes(seed=99)), "k": 5})

    assert response.status_code == 200 and len(response.json()["results"]) == 5  # it did search
    assert Image.objects.count() == images_before
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files_before


def test_dicom_upload_is_accepted_as_a_query(api_client, brain_repository):
    response = api_client.post("/api/search/", {"image": upload(dicom_bytes(), "q.dcm"), "k": 4})

    assert response.status_code == 200 and len(response.json()["results"]) == 4


@pytest.mark.parametrize("payload, message", [
    ({"image": upload(b"this is not an image at all", "x.png")}, "not a PNG, JPEG or DICOM"),
    ({"image": upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "x.png")}, "cannot decode image"),
    ({"image": upload(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\x04\x00", "x.dcm")}, "DICOM"),
    ({"k": 5}, "exactly one of"),
])
def test_bad_input_is_refused_with_a_message(api_client, brain_repository, payload, message):
    response = api_client.post("/api/search/", payload)

    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize("k", [0, 201, "many"])
def test_k_out_of_range_is_refused(api_client, brain_repository, k):
    response = api_client.post("/api/search/", {"image": upload(png_bytes(seed=1)), "k": k})

    assert response.status_code == 400 and "k" in response.json()["error"]


def test_unknown_encoder_is_refused_with_the_known_ones(api_client, brain_repository):
    response = api_client.post("/api/search/", {"image": upload(png_bytes(seed=2)), "encoder": "nope"})

    assert response.status_code == 400
    assert "unknown encoder 'nope'" in response.json()["error"] and "baseline" in response.json()["error"]


def test_file_over_the_size_limit_is_refused(api_client, brain_repository, settings):
    settings.MAX_UPLOAD_BYTES = 1000

    response = api_client.post("/api/search/", {"image": upload(png_bytes(seed=3, size=(200, 200)))})

    assert response.status_code == 400 and "over the limit" in response.json()["error"]


def test_search_before_any_index_exists_says_so(api_client, db):
    response = api_client.post("/api/search/", {"image": upload(png_bytes(seed=4))})

    assert response.status_code == 503 and "no index" in response.json()["error"]
