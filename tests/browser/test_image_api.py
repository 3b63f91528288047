"""Image details, thumbnails, pixels, lists and neighbours."""
import io

import pytest
from PIL import Image as PILImage

pytestmark = pytest.mark.django_db


def test_image_detail_has_metadata_and_urls(api_client, brain_repository):
    image_id = brain_repository[0]

    body = api_client.get(f"/api/images/{image_id}/").json()

    assert body["id"] == image_id and body["label"] == "glioma" and body["modality"] == "MR"
    assert body["thumbnail_url"].endswith(f"/{image_id}/thumbnail/") and body["study"]["study_uid"].startswith("2.25.")


def test_thumbnail_is_a_small_png(api_client, brain_repository):
    response = api_client.get(f"/api/images/{brain_repository[0]}/thumbnail/")

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    thumbnail = PILImage.open(io.BytesIO(b"".join(response.streaming_content)))
    assert max(thumbnail.size) <= 160


def test_full_image_is_served_at_stored_size(api_client, brain_repository):
    detail = api_client.get(f"/api/images/{brain_repository[1]}/").json()

    response = api_client.get(detail["image_url"])

    image = PILImage.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (detail["width"], detail["height"])


def test_unknown_image_is_404_with_a_message(api_client, db):
    response = api_client.get("/api/images/999999/")

    assert response.status_code == 404 and "999999" in response.json()["error"]


def test_neighbours_of_an_image_exclude_it(api_client, brain_repository):
    image_id = brain_repository[5]

    body = api_client.get(f"/api/images/{image_id}/neighbours/?k=7").json()

    assert len(body["results"]) == 7 and body["query"]["image_id"] == image_id
    assert image_id not in {result["id"] for result in body["results"]}


def test_image_list_pages_and_filters(api_client, brain_repository):
    body = api_client.get("/api/images/?limit=5&label=meningioma").json()

    assert body["count"] == 15 and len(body["results"]) == 5
    assert {row["label"] for row in body["results"]} == {"meningioma"}


@pytest.mark.parametrize("path, query, message", [
    ("/api/images/", {"offset": str(2**63)}, "offset"),
    ("/api/images/", {"age_min": "50", "age_max": "10"}, "age_min is above age_max"),
    ("/api/images/{id}/neighbours/", {"age_min": "50", "age_max": "10"}, "age_min is above age_max"),
])
def test_image_list_and_neighbours_refuse_impossible_paging_and_filters(api_client, brain_repository, path, query,
                                                                         message):
    response = api_client.get(path.format(id=brain_repository[0]), query)

    assert response.status_code == 400 and message in str(response.json())


def test_encoders_list_shows_the_baseline_index(api_client, brain_repository):
    rows = {row["name"]: row for row in api_client.get("/api/encoders/").json()}

    assert rows["baseline"]["is_default"] and rows["baseline"]["index"]["vector_count"] == 60
