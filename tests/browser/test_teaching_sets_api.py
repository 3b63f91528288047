"""Teaching sets: educators build, annotate, order, share and export; students read only."""
import csv
import io
import json
import zipfile

import pydicom
import pytest
from django.contrib.auth.models import Group

from browser.models import AuditEvent
from ingest.pseudonyms import pseudonymize
from tests.factories import ingest_png, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def images(db):
    return [ingest_png(label=label, seed=seed) for seed, label in enumerate(["glioma", "notumor", "pituitary"])]


def build_set(client, images) -> dict:
    created = client.post("/api/teaching-sets/", {"title": "Brain tumours 101"}, format="json").json()
    for image in images:
        client.post(f"/api/teaching-sets/{created['id']}/cases/", {"image_id": image.pk}, format="json")
    return client.get(f"/api/teaching-sets/{created['id']}/").json()


def test_educator_creates_a_set_and_adds_cases_in_order(client_as, images):
    educator = client_as("educator")

    teaching_set = build_set(educator, images)

    assert teaching_set["title"] == "Brain tumours 101" and teaching_set["can_edit"]
    assert [case["image_id"] for case in teaching_set["cases"]] == [image.pk for image in images]


def test_adding_the_same_image_twice_is_refused(client_as, images):
    educator = client_as("educator")
    teaching_set = build_set(educator, images[:1])

    response = educator.post(f"/api/teaching-sets/{teaching_set['id']}/cases/", {"image_id": images[0].pk}, format="json")

    assert response.status_code == 400 and "already in this teaching set" in response.json()["error"]


def test_cases_are_annotated_and_reordered(client_as, images):
    educator = client_as("educator")
    teaching_set = build_set(educator, images)
    first, second, third = [case["id"] for case in teaching_set["cases"]]

    educator.patch(f"/api/teaching-sets/{teaching_set['id']}/cases/{second}/",
                   {"teaching_note": "Note the dural tail", "key_findings": "extra-axial mass"}, format="json")
    reordered = educator.post(f"/api/teaching-sets/{teaching_set['id']}/order/", {"case_ids": [third, first, second]},
                              format="json").json()

    assert [case["id"] for case in reordered] == [third, first, second]
    assert reordered[2]["teaching_note"] == "Note the dural tail"


def test_reordering_must_name_every_case(client_as, images):
    educator = client_as("educator")
    teaching_set = build_set(educator, images)

    response = educator.post(f"/api/teaching-sets/{teaching_set['id']}/order/",
                             {"case_ids": [teaching_set["cases"][0]["id"]]}, format="json")

    assert response.status_code == 400 and "every case" in response.json()["error"]


def test_student_sees_a_shared_set_read_only_and_not_an_unshared_one(client_as, images):
    educator = client_as("educator")
    shared = build_set(educator, images)
    private = build_set(educator, images[:1])
    educator.patch(f"/api/teaching-sets/{shared['id']}/", {"is_shared_with_students": True}, format="json")
    student = client_as("student")

    listed = {row["id"] for row in student.get("/api/teaching-sets/").json()}
    view = student.get(f"/api/teaching-sets/{shared['id']}/").json()
    edit = student.patch(f"/api/teaching-sets/{shared['id']}/", {"title": "mine now"}, format="json")

    assert shared["id"] in listed and private["id"] not in listed
    assert view["can_edit"] is False and len(view["cases"]) == 3
    assert edit.status_code == 403
    assert student.get(f"/api/teaching-sets/{private['id']}/").status_code == 404


def test_sharing_with_a_group_reaches_its_members_only(client_as, images):
    educator = client_as("educator")
    teaching_set = build_set(educator, images)
    cohort = Group.objects.create(name="cohort-2026")
    member, outsider = make_user("student"), make_user("student")
    member.groups.add(cohort)

    educator.patch(f"/api/teaching-sets/{teaching_set['id']}/", {"shared_with_groups": ["cohort-2026"]}, format="json")

    assert client_as("student", member).get(f"/api/teaching-sets/{teaching_set['id']}/").status_code == 200
    assert client_as("student", outsider).get(f"/api/teaching-sets/{teaching_set['id']}/").status_code == 404


def test_a_set_cannot_be_shared_with_a_role_group(client_as, images):
    educator = client_as("educator")
    teaching_set = build_set(educator, images)

    response = educator.patch(f"/api/teaching-sets/{teaching_set['id']}/", {"title": "renamed",
                              "shared_with_groups": ["researcher"]}, format="json")

    assert response.status_code == 400 and "unknown groups: researcher" in response.json()["error"]
    assert client_as("researcher").get(f"/api/teaching-sets/{teaching_set['id']}/").status_code == 404
    assert educator.get(f"/api/teaching-sets/{teaching_set['id']}/").json()["title"] == "Brain tumours 101"


def test_another_educator_cannot_edit_my_set(client_as, images):
    teaching_set = build_set(client_as("educator"), images)

    response = client_as("educator").post(f"/api/teaching-sets/{teaching_set['id']}/cases/",
                                          {"image_id": images[0].pk}, format="json")

    assert response.status_code == 404


def test_export_zip_has_images_fhir_bundle_and_csv_and_is_audited(client_as, images):
    from fhir.resources.R4B.bundle import Bundle

    educator = client_as("educator")
    teaching_set = build_set(educator, images)
    case = teaching_set["cases"][0]["id"]
    educator.patch(f"/api/teaching-sets/{teaching_set['id']}/cases/{case}/", {"teaching_note": "classic"}, format="json")

    response = educator.get(f"/api/teaching-sets/{teaching_set['id']}/export/")

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert sum(name.startswith("images/") and name.endswith(".png") for name in names) == 3
    rows = list(csv.DictReader(io.StringIO(archive.read("cases.csv").decode())))
    assert [row["label"] for row in rows] == ["glioma", "notumor", "pituitary"] and rows[0]["teaching_note"] == "classic"
    bundle = Bundle.model_validate(json.loads(archive.read("bundle.json")))
    assert bundle.type == "collection" and len(bundle.entry) == 3
    assert AuditEvent.objects.filter(action="export", target=f"teaching_set:{teaching_set['id']}").exists()


def test_dicom_export_carries_the_de_identified_dicom_files(client_as):
    from ingest.services import ingest_image_bytes
    from tests.factories import dicom_bytes, make_dataset

    image = ingest_image_bytes(data=dicom_bytes(), dataset=make_dataset("ct")).image
    educator = client_as("educator")
    teaching_set = build_set(educator, [image])

    response = educator.get(f"/api/teaching-sets/{teaching_set['id']}/export/?format=dicom")

    assert response.status_code == 200, response.content
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert [name for name in archive.namelist() if name.startswith("images/")] == [f"images/001_{image.pk}.dcm"]
    exported = archive.read(f"images/001_{image.pk}.dcm")
    dataset = pydicom.dcmread(io.BytesIO(exported))
    assert dataset.PatientIdentityRemoved == "YES" and str(dataset.PatientName) == pseudonymize("pt", "PID-12345")
    assert b"DOE" not in exported and b"PID-12345" not in exported


def test_unknown_export_format_is_refused(client_as, images):
    educator = client_as("educator")
    teaching_set = build_set(educator, images[:1])

    response = educator.get(f"/api/teaching-sets/{teaching_set['id']}/export/?format=tiff")

    assert response.status_code == 400 and "png or dicom" in response.json()["error"]


def test_export_with_a_missing_image_file_names_the_case_and_is_not_audited(client_as, images):
    from ingest.storage import media_path

    educator = client_as("educator")
    teaching_set = build_set(educator, images)
    media_path(images[1].pixels_path).unlink()

    response = educator.get(f"/api/teaching-sets/{teaching_set['id']}/export/")

    assert response.status_code == 400 and "case 2 " in response.json()["error"]
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_case_quarantined_after_it_was_added_is_neither_shown_nor_exported(client_as, images):
    from ingest.models import Image

    educator = client_as("educator")
    teaching_set = build_set(educator, images)
    educator.patch(f"/api/teaching-sets/{teaching_set['id']}/", {"is_shared_with_students": True}, format="json")
    Image.objects.filter(pk=images[1].pk).update(status=Image.Status.QUARANTINED)

    shown = client_as("student").get(f"/api/teaching-sets/{teaching_set['id']}/").json()
    archive = zipfile.ZipFile(io.BytesIO(educator.get(f"/api/teaching-sets/{teaching_set['id']}/export/").content))
    rows = list(csv.DictReader(io.StringIO(archive.read("cases.csv").decode())))

    assert [case["image_id"] for case in shown["cases"]] == [images[0].pk, images[2].pk]
    assert shown["case_count"] == 2 and shown["withheld_case_count"] == 1
    assert [row["image_id"] for row in rows] == [str(images[0].pk), str(images[2].pk)]
    assert [row["position"] for row in rows] == ["1", "2"]
    assert not any(f"_{images[1].pk}." in name for name in archive.namelist())


def test_editing_one_field_does_not_undo_a_concurrent_edit_of_another(client_as, images):
    from browser import teaching
    from browser.models import TeachingSet

    educator = client_as("educator")
    created = build_set(educator, images)
    first, second, third = [case["id"] for case in created["cases"]]
    stale_set = TeachingSet.objects.get(pk=created["id"])  # loaded before the other request's change
    stale_case = stale_set.cases.get(pk=first)

    educator.patch(f"/api/teaching-sets/{created['id']}/", {"is_shared_with_students": True}, format="json")
    educator.post(f"/api/teaching-sets/{created['id']}/order/", {"case_ids": [third, second, first]}, format="json")
    teaching.update_teaching_set(teaching_set=stale_set, title="Renamed")
    teaching.annotate_case(case=stale_case, teaching_note="late note")

    after = educator.get(f"/api/teaching-sets/{created['id']}/").json()
    assert after["title"] == "Renamed" and after["is_shared_with_students"] is True
    assert [case["id"] for case in after["cases"]] == [third, second, first]
    assert after["cases"][2]["teaching_note"] == "late note"


def test_removing_a_case_closes_the_gap_in_positions(client_as, images):
    educator = client_as("educator")
    created = build_set(educator, images)

    educator.delete(f"/api/teaching-sets/{created['id']}/cases/{created['cases'][0]['id']}/")

    after = educator.get(f"/api/teaching-sets/{created['id']}/").json()
    assert [case["position"] for case in after["cases"]] == [0, 1]


def test_over_long_texts_are_refused_and_formula_like_notes_are_quoted_in_the_csv(client_as, images):
    educator = client_as("educator")
    created = build_set(educator, images[:1])
    case = created["cases"][0]["id"]

    too_long = educator.patch(f"/api/teaching-sets/{created['id']}/cases/{case}/", {"teaching_note": "x" * 10_001},
                              format="json")
    educator.patch(f"/api/teaching-sets/{created['id']}/cases/{case}/",
                   {"teaching_note": '=HYPERLINK("http://example.org","click")'}, format="json")
    archive = zipfile.ZipFile(io.BytesIO(educator.get(f"/api/teaching-sets/{created['id']}/export/").content))
    row = next(csv.DictReader(io.StringIO(archive.read("cases.csv").decode())))

    assert too_long.status_code == 400
    assert row["teaching_note"] == "'=HYPERLINK(\"http://example.org\",\"click\")"


def test_listing_many_sets_takes_a_fixed_number_of_queries(client_as, images, django_assert_max_num_queries):
    educator = client_as("educator")
    for n in range(12):
        created = educator.post("/api/teaching-sets/", {"title": f"set {n}"}, format="json").json()
        educator.post(f"/api/teaching-sets/{created['id']}/cases/", {"image_id": images[n % 3].pk}, format="json")

    with django_assert_max_num_queries(12):
        listed = educator.get("/api/teaching-sets/")

    assert listed["X-Total-Count"] == "12" and len(listed.json()) == 12
    assert all(row["case_count"] == 1 and row["can_edit"] for row in listed.json())


def test_the_editable_list_holds_only_the_sets_one_may_add_cases_to(client_as, images):
    owner, colleague, admin = client_as("educator"), client_as("educator"), client_as("admin")
    mine = owner.post("/api/teaching-sets/", {"title": "mine"}, format="json").json()
    theirs = colleague.post("/api/teaching-sets/", {"title": "theirs"}, format="json").json()
    colleague.patch(f"/api/teaching-sets/{theirs['id']}/", {"is_shared_with_students": True}, format="json")
    student = client_as("student")

    editable = owner.get("/api/teaching-sets/?editable=true")

    assert [row["id"] for row in editable.json()] == [mine["id"]] and editable["X-Total-Count"] == "1"
    assert {row["id"] for row in owner.get("/api/teaching-sets/").json()} == {mine["id"], theirs["id"]}
    assert {row["id"] for row in admin.get("/api/teaching-sets/?editable=true").json()} == {mine["id"], theirs["id"]}
    assert student.get("/api/teaching-sets/?editable=true").json() == []
    assert owner.get("/api/teaching-sets/?editable=perhaps").status_code == 400


def test_an_export_over_the_size_limit_is_refused_with_the_reason(client_as, images, settings):
    educator = client_as("educator")
    created = build_set(educator, images)
    settings.MAX_EXPORT_BYTES = 100  # bytes: less than any PNG

    response = educator.get(f"/api/teaching-sets/{created['id']}/export/")

    assert response.status_code == 400 and "CBIR_MAX_EXPORT_BYTES" in response.json()["error"]
    assert not AuditEvent.objects.filter(action="export").exists()
