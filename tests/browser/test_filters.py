"""Filters on POST /api/search/: each filter keeps only matching images and still returns k
whenever at least k images match, on the exact-subset path and on the over-fetch path."""
import pytest

from browser.services import search as search_service
from tests.browser.builders import indexed_images, make_image, make_study, random_vectors, store_vectors

pytestmark = pytest.mark.django_db

LABELS = ["glioma", "meningioma", "notumor", "pituitary"]


@pytest.fixture
def repository():
    """240 images with varied metadata, indexed with MRPT (above ANN_MIN_POINTS)."""
    specs = [{"label": LABELS[n % 4], "modality": "MR" if n % 3 else "CT", "body_part": "HEAD" if n % 5 else "CHEST",
              "dataset": "brain" if n % 2 else "chest", "sex": "F" if n % 7 < 3 else "M", "age": 20 + n % 60}
             for n in range(240)]
    return indexed_images(specs)


def search(api_client, **fields):
    response = api_client.post("/api/search/", fields, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_repository_is_served_by_mrpt(api_client, repository):
    body = search(api_client, image_id=repository[0].pk, k=5)

    assert body["query"]["index"]["method"] == "mrpt"


@pytest.mark.parametrize("field, value, check", [
    ("label", "pituitary", lambda r: r["label"] == "pituitary"),
    ("modality", "ct", lambda r: r["modality"] == "CT"),
    ("body_part", "chest", lambda r: r["body_part"] == "CHEST"),
    ("dataset", "brain", lambda r: r["dataset"] == "brain"),
])
def test_image_filter_keeps_only_matches_and_returns_k(api_client, repository, field, value, check):
    body = search(api_client, image_id=repository[1].pk, k=40, **{field: value})

    assert len(body["results"]) == 40
    assert all(check(result) for result in body["results"])
    assert body["query"]["filters"] == {field: value}


def test_sex_and_age_range_filters_use_the_study(api_client, repository):
    from ingest.models import Image

    body = search(api_client, image_id=repository[2].pk, k=20, sex="F", age_min=30, age_max=45)

    images = Image.objects.filter(pk__in=[r["id"] for r in body["results"]]).select_related("series__study")
    assert len(body["results"]) == 20
    assert all(image.study.sex == "F" and 30 <= image.study.age_years <= 45 for image in images)


def test_fewer_matches_than_k_returns_exactly_the_matches(api_client, repository):
    from ingest.models import Image

    matching = Image.objects.filter(label="glioma", modality="CT", series__study__dataset__name="chest").count()

    body = search(api_client, image_id=repository[3].pk, k=200, label="glioma", modality="CT", dataset="chest")

    assert 0 < matching < 200 and len(body["results"]) == matching


def test_overfetch_path_still_returns_k_when_the_filter_is_not_selective(api_client, repository, monkeypatch):
    monkeypatch.setattr(search_service, "SELECTIVE_FILTER_LIMIT", 5)  # force MRPT + adaptive over-fetch

    body = search(api_client, image_id=repository[4].pk, k=35, label="meningioma", modality="MR")  # 40 match

    assert len(body["results"]) == 35
    assert all(r["label"] == "meningioma" and r["modality"] == "MR" for r in body["results"])


def test_k_results_whenever_k_match_for_many_filter_combinations(repository, monkeypatch):
    from browser.filters import Filters
    from browser.selectors import filter_searchable_images
    from browser.services.search import nearest_images
    from browser.services.serving import get_local_searcher
    from tests.browser.builders import baseline_version, random_vectors

    monkeypatch.setattr(search_service, "SELECTIVE_FILTER_LIMIT", 30)
    _, searcher = get_local_searcher(baseline_version(), recall=None)
    combos = [Filters(label=label, modality=modality) for label in LABELS for modality in ("MR", "CT")] + \
             [Filters(sex=sex, age_min=low, age_max=low + 15) for sex in "MF" for low in (20, 40, 60)]
    for number, (filters, query) in enumerate(zip(combos, random_vectors(len(combos), seed=7))):
        matching = filter_searchable_images(filters).count()
        for k in (1, 10, 35):
            hits = nearest_images(searcher, query, k=k, filters=filters)
            assert len(hits) == min(k, matching), (number, filters, k)


def test_code_filter_matches_report_codes_and_icd10_ranges(api_client, repository):
    from ingest.models import CodedConcept, Report

    study = make_study(dataset="brain")
    flagged = [make_image(study=study, label="glioma", modality="MR") for _ in range(3)]
    store_vectors(flagged, random_vectors(3, seed=5))  # embedded after the build: served from the delta
    report = Report.objects.create(study=study, source_key="r1", text="enhancing mass")
    CodedConcept.objects.create(system="http://hl7.org/fhir/sid/icd-10-cm", code="C71.9", report=report,
                                display="Malignant neoplasm of brain, unspecified")
    expected = {image.pk for image in flagged}

    exact = search(api_client, image_id=repository[0].pk, k=10, code="ICD-10-CM|C71.9")
    block = search(api_client, image_id=repository[0].pk, k=10, code="I10|C69-C72")
    chapter = search(api_client, image_id=repository[0].pk, k=10, code="http://hl7.org/fhir/sid/icd-10|chapter:II")
    other_chapter = search(api_client, image_id=repository[0].pk, k=10, code="ICD-10|X")

    assert {r["id"] for r in exact["results"]} == expected
    assert {r["id"] for r in block["results"]} == expected
    assert {r["id"] for r in chapter["results"]} == expected
    assert other_chapter["results"] == []


def icd10_coded_images(codes: tuple[str, ...], *, seed: int) -> dict:
    """code -> an embedded image whose report carries that ICD-10-CM code, written as given."""
    from ingest.models import CodedConcept, Report

    images = {}
    for code in codes:
        study = make_study(dataset="codes")
        images[code] = make_image(study=study, label="pneumonia")
        report = Report.objects.create(study=study, source_key=f"r-{code}", text="")
        CodedConcept.objects.create(system="http://hl7.org/fhir/sid/icd-10-cm", code=code, report=report)
    store_vectors(list(images.values()), random_vectors(len(images), seed=seed))
    return images


def test_icd10_ranges_ignore_case_and_skip_codes_that_are_no_category(api_client, repository):
    images = icd10_coded_images(("J18.9", "j18.9", "J180", "J09", "J1", "J19"), seed=8)

    block = search(api_client, image_id=repository[0].pk, k=20, code="ICD-10|J09-J18")

    assert {r["id"] for r in block["results"]} == {images[code].pk for code in ("J18.9", "j18.9", "J180", "J09")}


def test_an_exact_icd_code_matches_however_its_dot_was_written(api_client, repository):
    images = icd10_coded_images(("J18.9", "J189", "J18.0"), seed=9)

    dotted = search(api_client, image_id=repository[0].pk, k=20, code="ICD-10-CM|J18.9")
    plain = search(api_client, image_id=repository[0].pk, k=20, code="ICD-10-CM|j189")

    wanted = {images["J18.9"].pk, images["J189"].pk}
    assert {r["id"] for r in dotted["results"]} == wanted == {r["id"] for r in plain["results"]}


def test_code_filter_follows_patient_level_diagnoses_and_snomed(api_client, repository):
    from ingest.models import CodedConcept, Patient

    patient = Patient.objects.create(pseudonym="pt-abc")
    images = [make_image(study=make_study(pseudonym="pt-abc")) for _ in range(2)]
    store_vectors(images, random_vectors(2, seed=6))
    CodedConcept.objects.create(system="http://snomed.info/sct", code="233604007", display="Pneumonia", patient=patient)

    body = search(api_client, image_id=repository[0].pk, k=10, code="SCT|233604007")

    assert {r["id"] for r in body["results"]} == {image.pk for image in images}


@pytest.mark.parametrize("fields, message", [
    ({"code": "C71.9"}, "system|code"),
    ({"code": "NOPE|123"}, "unknown coding system"),
    ({"age_min": 50, "age_max": 20}, "age_min is above age_max"),
    ({"sex": "X"}, "sex"),
])
def test_bad_filters_are_refused_with_a_message(api_client, repository, fields, message):
    response = api_client.post("/api/search/", {"image_id": repository[0].pk, **fields}, format="json")

    assert response.status_code == 400 and message in response.json()["error"]


def test_image_list_applies_the_same_filters(api_client, repository):
    response = api_client.get("/api/images/", {"sex": "F", "modality": "MR", "limit": 500})

    assert response.status_code == 200
    assert response.json()["count"] == sum(1 for n in range(240) if n % 7 < 3 and n % 3)


def test_teaching_set_filter_keeps_only_its_cases(api_client, repository):
    from django.contrib.auth.models import User

    from browser.models import TeachingCase, TeachingSet

    teaching_set = TeachingSet.objects.create(owner=User.objects.create(username="educator"), title="gliomas")
    chosen = repository[10:22]
    TeachingCase.objects.bulk_create([TeachingCase(teaching_set=teaching_set, image=image, position=n)
                                      for n, image in enumerate(chosen)])

    body = search(api_client, image_id=repository[0].pk, k=5, teaching_set=teaching_set.pk)

    assert len(body["results"]) == 5 and {r["id"] for r in body["results"]} <= {image.pk for image in chosen}


def test_teaching_set_filter_only_takes_sets_the_user_may_see(client_as, repository):
    from django.contrib.auth.models import User

    from browser.models import TeachingCase, TeachingSet

    private = TeachingSet.objects.create(owner=User.objects.create(username="teacher"), title="not shared yet")
    TeachingCase.objects.create(teaching_set=private, image=repository[3], position=0)
    student = client_as("student")
    fields = {"image_id": repository[0].pk, "k": 1, "teaching_set": private.pk}

    refused = student.post("/api/search/", fields, format="json")
    listed = student.get("/api/images/", {"teaching_set": private.pk})
    private.is_shared_with_students = True
    private.save()
    allowed = student.post("/api/search/", fields, format="json")

    assert refused.status_code == 400 and f"no teaching set {private.pk} visible to you" in refused.json()["error"]
    assert listed.status_code == 400
    assert allowed.status_code == 200 and [r["id"] for r in allowed.json()["results"]] == [repository[3].pk]
