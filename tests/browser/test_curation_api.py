"""Curators review rejections and quarantined images; nobody else can."""
import pytest

from ingest.models import Image
from ingest.services import ingest_image_bytes, record_rejection
from tests.factories import dicom_bytes, make_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def ultrasound(db):
    """An ultrasound without BurnedInAnnotation: quarantined on arrival."""
    return ingest_image_bytes(data=dicom_bytes(Modality="US"), dataset=make_dataset("us")).image


def test_ultrasound_arrives_quarantined_and_curators_see_why(client_as, ultrasound):
    rows = client_as("curator").get("/api/curation/quarantine/").json()

    assert ultrasound.status == "quarantined"
    assert rows[0]["id"] == ultrasound.pk and rows[0]["reason"]


def test_release_needs_a_note_and_makes_the_image_searchable(client_as, ultrasound, django_capture_on_commit_callbacks):
    curator = client_as("curator")

    refused = curator.post(f"/api/curation/quarantine/{ultrasound.pk}/", {"reviewer_note": " "}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        released = curator.post(f"/api/curation/quarantine/{ultrasound.pk}/",
                                {"reviewer_note": "no burned-in text on any frame"}, format="json")

    assert refused.status_code == 400
    assert released.status_code == 200 and Image.objects.get(pk=ultrasound.pk).status == "ready"
    assert Image.objects.get(pk=ultrasound.pk).embeddings.exists()


def test_deleting_a_quarantined_image_removes_row_and_files(client_as, ultrasound, settings,
                                                            django_capture_on_commit_callbacks):
    from ingest.storage import media_path

    paths = [media_path(ultrasound.pixels_path), media_path(ultrasound.dicom_path)]

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("curator").delete(f"/api/curation/quarantine/{ultrasound.pk}/")

    assert response.status_code == 204 and not Image.objects.filter(pk=ultrasound.pk).exists()
    assert not any(path.exists() for path in paths)


def test_rejections_are_listed_for_curators_only(client_as):
    record_rejection(channel="stow-rs", reason="not a DICOM file")

    rows = client_as("curator").get("/api/curation/rejections/").json()

    assert rows[0]["channel"] == "stow-rs" and rows[0]["reason"] == "not a DICOM file"
    assert client_as("educator").get("/api/curation/rejections/").status_code == 403


@pytest.mark.parametrize("path", ["", "thumbnail/", "image/", "raw/", "series/"])
def test_quarantined_images_do_not_exist_for_non_curators(client_as, ultrasound, path):
    url = f"/api/images/{ultrasound.pk}/{path}"

    assert client_as("student").get(url).status_code == 404
    assert client_as("curator").get(url).status_code == 200


def test_quarantined_images_cannot_be_queried_taught_or_saved(client_as, ultrasound):
    educator, researcher = client_as("educator"), client_as("researcher")
    teaching_set = educator.post("/api/teaching-sets/", {"title": "US"}, format="json").json()

    searched = client_as("curator").post("/api/search/", {"image_id": ultrasound.pk}, format="json")
    taught = educator.post(f"/api/teaching-sets/{teaching_set['id']}/cases/", {"image_id": ultrasound.pk},
                           format="json")
    saved = researcher.post("/api/saved-searches/", {"name": "us", "image_id": ultrasound.pk}, format="json")

    assert [searched.status_code, taught.status_code, saved.status_code] == [404, 404, 404]
    assert "no image with id" in taught.json()["error"]


def test_review_lists_page_through_everything_with_a_total(client_as):
    for n in range(5):
        record_rejection(channel="hl7", reason=f"refusal {n}")
    held = [ingest_image_bytes(data=dicom_bytes(Modality="US"), dataset=make_dataset("us")).image for _ in range(3)]
    curator = client_as("curator")

    pages = [curator.get(f"/api/curation/rejections/?limit=2&offset={offset}") for offset in (0, 2, 4)]
    queue = curator.get("/api/curation/quarantine/?limit=2&offset=2")

    assert [page["X-Total-Count"] for page in pages] == ["5", "5", "5"]
    assert [row["reason"] for page in pages for row in page.json()] == [f"refusal {n}" for n in range(4, -1, -1)]
    assert queue["X-Total-Count"] == "3" and [row["id"] for row in queue.json()] == [held[2].pk]
    assert curator.get("/api/curation/rejections/?limit=0").status_code == 400
