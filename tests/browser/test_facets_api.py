"""GET /api/facets/: each filter's values with the number of searchable images matching the other filters."""
import pytest

from tests.browser.builders import make_image

pytestmark = pytest.mark.django_db

# label, modality, body part, dataset, sex, age: counted by hand in the tests below
SPECS = [
    ("glioma", "MR", "HEAD", "brain", "F", 34),
    ("glioma", "MR", "HEAD", "brain", "M", 61),
    ("glioma", "CT", "HEAD", "brain", "F", 12),
    ("meningioma", "MR", "HEAD", "brain", "F", 45),
    ("meningioma", "MR", "HEAD", "brain", "", None),
    ("pneumonia", "CR", "CHEST", "chest", "M", 70),
    ("pneumonia", "CT", "CHEST", "chest", "M", 85),
    ("normal", "CR", "CHEST", "chest", "F", 40),
    ("normal", "CR", "CHEST", "chest", "F", 18),
]


@pytest.fixture
def repository():
    """The nine images of SPECS, plus a quarantined glioma that no count may include."""
    from ingest.models import Image

    images = [make_image(label=label, modality=modality, body_part=body_part, dataset=dataset, sex=sex, age=age)
              for label, modality, body_part, dataset, sex, age in SPECS]
    quarantined = make_image(label="glioma", modality="MR", body_part="HEAD", dataset="brain", sex="F", age=34)
    Image.objects.filter(pk=quarantined.pk).update(status=Image.Status.QUARANTINED)
    return images


@pytest.fixture
def student(client_as):
    return client_as("student")


def facets(client, **filters) -> dict:
    response = client.get("/api/facets/", filters)
    assert response.status_code == 200, response.content
    return response.json()


def counts(body: dict, facet: str) -> dict:
    return {item["value"]: item["count"] for item in body["facets"][facet]["values"]}


def test_counts_of_every_facet_match_a_hand_count(student, repository):
    body = facets(student)

    assert body["total"] == 9
    assert counts(body, "label") == {"glioma": 3, "meningioma": 2, "normal": 2, "pneumonia": 2}
    assert counts(body, "modality") == {"MR": 4, "CR": 3, "CT": 2}
    assert counts(body, "body_part") == {"HEAD": 5, "CHEST": 4}
    assert counts(body, "sex") == {"F": 5, "M": 3}
    assert counts(body, "dataset") == {"brain": 5, "chest": 4}
    assert counts(body, "age") == {"0-17": 1, "18-39": 2, "40-59": 2, "60-79": 2, "80+": 1, "unknown": 1}
    assert counts(body, "teaching_set") == {}


def test_values_are_sorted_by_count_then_value_and_age_buckets_carry_their_range(student, repository):
    body = facets(student)

    assert [item["value"] for item in body["facets"]["label"]["values"]] == ["glioma", "meningioma", "normal",
                                                                             "pneumonia"]
    assert body["facets"]["label"]["truncated"] is False
    ages = body["facets"]["age"]["values"]
    assert [(item["age_min"], item["age_max"]) for item in ages] == [(0, 17), (18, 39), (40, 59), (60, 79),
                                                                     (80, None), (None, None)]


def test_a_facet_s_own_filter_does_not_narrow_its_counts_but_narrows_the_others(student, repository):
    body = facets(student, modality="MR")

    assert body["total"] == 4
    assert counts(body, "modality") == {"MR": 4, "CR": 3, "CT": 2}
    assert counts(body, "label") == {"glioma": 2, "meningioma": 2}
    assert counts(body, "sex") == {"F": 2, "M": 1}
    assert counts(body, "dataset") == {"brain": 4}
    assert counts(body, "age") == {"0-17": 0, "18-39": 1, "40-59": 1, "60-79": 1, "80+": 0, "unknown": 1}


def test_age_range_narrows_the_other_facets_but_not_the_age_buckets(student, repository):
    body = facets(student, age_min=40, age_max=79)

    assert body["total"] == 4
    assert counts(body, "age") == {"0-17": 1, "18-39": 2, "40-59": 2, "60-79": 2, "80+": 1, "unknown": 1}
    assert counts(body, "label") == {"glioma": 1, "meningioma": 1, "normal": 1, "pneumonia": 1}


def test_several_filters_combine_and_a_selected_value_without_matches_is_listed_with_zero(student, repository):
    body = facets(student, label="glioma", dataset="chest")

    assert body["total"] == 0
    assert counts(body, "label") == {"pneumonia": 2, "normal": 2, "glioma": 0}
    assert counts(body, "dataset") == {"brain": 3, "chest": 0}


def test_filters_match_case_insensitively_and_spellings_merge(student, repository):
    make_image(label="Glioma", modality="mr", body_part="head", dataset="brain", sex="F", age=50)

    body = facets(student, modality="mr")

    assert counts(body, "modality") == {"MR": 5, "CR": 3, "CT": 2}
    assert counts(body, "label") == {"glioma": 3, "meningioma": 2}


def test_every_label_count_is_what_filtering_by_that_label_finds_also_beyond_ascii(student, repository):
    for label in ("Ödem", "Ödem", "ödem"):
        make_image(label=label, modality="MR", body_part="HEAD", dataset="brain", sex="F", age=40)

    label_counts = counts(facets(student), "label")

    for label, count in label_counts.items():
        assert student.get("/api/images/", {"label": label, "limit": 500}).json()["count"] == count, label
    assert sum(count for label, count in label_counts.items() if label.casefold() == "ödem") == 3


def test_long_lists_are_capped_and_say_so_keeping_the_selected_value(student, repository, monkeypatch):
    from browser.services import facets as facets_service

    monkeypatch.setattr(facets_service, "FACET_LIMIT", 2)

    body = facets(student, label="pneumonia")

    assert body["facets"]["label"]["truncated"] is True
    assert counts(body, "label") == {"glioma": 3, "meningioma": 2, "pneumonia": 2}
    assert counts(body, "modality") == {"CR": 1, "CT": 1} and body["facets"]["modality"]["truncated"] is False
    assert facets(student)["facets"]["modality"] == {"values": [{"value": "MR", "count": 4},
                                                               {"value": "CR", "count": 3}], "truncated": True}


def test_teaching_sets_are_listed_with_titles_only_when_visible(client_as, repository):
    from browser.teaching import add_case, create_teaching_set, update_teaching_set
    from tests.factories import make_user

    educator = make_user("educator")
    private = create_teaching_set(owner=educator, title="Draft gliomas")
    shared = create_teaching_set(owner=educator, title="Chest cases")
    for image in (repository[0], repository[1], repository[5]):
        add_case(teaching_set=private, image_id=image.pk)
    for image in (repository[5], repository[6]):
        add_case(teaching_set=shared, image_id=image.pk)
    update_teaching_set(teaching_set=shared, is_shared_with_students=True)

    as_student = facets(client_as("student"))["facets"]["teaching_set"]
    as_owner = facets(client_as("educator", educator))["facets"]["teaching_set"]

    assert as_student["values"] == [{"value": shared.pk, "title": "Chest cases", "count": 2}]
    assert as_owner["values"] == [{"value": private.pk, "title": "Draft gliomas", "count": 3},
                                  {"value": shared.pk, "title": "Chest cases", "count": 2}]


def test_a_teaching_set_filter_narrows_the_other_facets_not_its_own(client_as, repository):
    from browser.teaching import add_case, create_teaching_set
    from tests.factories import make_user

    educator = make_user("educator")
    gliomas = create_teaching_set(owner=educator, title="Gliomas")
    chest = create_teaching_set(owner=educator, title="Chest")
    for image in repository[:3]:
        add_case(teaching_set=gliomas, image_id=image.pk)
    add_case(teaching_set=chest, image_id=repository[7].pk)

    body = facets(client_as("educator", educator), teaching_set=chest.pk)

    assert body["total"] == 1
    assert counts(body, "teaching_set") == {gliomas.pk: 3, chest.pk: 1}
    assert counts(body, "label") == {"normal": 1}
    assert counts(body, "age") == {"0-17": 0, "18-39": 0, "40-59": 1, "60-79": 0, "80+": 0, "unknown": 0}


def test_a_selected_teaching_set_without_matches_keeps_its_title(client_as, repository):
    from browser.teaching import add_case, create_teaching_set
    from tests.factories import make_user

    educator = make_user("educator")
    gliomas = create_teaching_set(owner=educator, title="Gliomas")
    add_case(teaching_set=gliomas, image_id=repository[0].pk)
    empty = create_teaching_set(owner=educator, title="Still empty")

    body = facets(client_as("educator", educator), teaching_set=empty.pk)

    assert body["total"] == 0
    assert body["facets"]["teaching_set"]["values"] == [
        {"value": gliomas.pk, "title": "Gliomas", "count": 1}, {"value": empty.pk, "title": "Still empty", "count": 0}]


def test_another_educator_s_private_set_is_refused_as_search_refuses_it(client_as, repository):
    from browser.teaching import add_case, create_teaching_set
    from tests.factories import make_user

    private = create_teaching_set(owner=make_user("educator"), title="Not shared")
    add_case(teaching_set=private, image_id=repository[0].pk)
    other_educator = client_as("educator")

    refused = other_educator.get("/api/facets/", {"teaching_set": private.pk})
    searched = other_educator.post("/api/search/", {"q": "glioma", "teaching_set": private.pk}, format="json")

    assert refused.status_code == searched.status_code == 400
    assert refused.json()["error"] == searched.json()["error"]
    assert f"no teaching set {private.pk} visible to you" in refused.json()["error"]
    assert counts(facets(other_educator), "teaching_set") == {}


@pytest.mark.parametrize("filters, message", [
    ({"age_min": "-3"}, "age_min"),
    ({"age_max": "old"}, "age_max: A valid integer is required"),
    ({"age_min": "60", "age_max": "20"}, "age_min is above age_max"),
    ({"sex": "X"}, "sex"),
    ({"code": "nonsense"}, "code"),
])
def test_bad_filters_are_refused_with_a_message(student, repository, filters, message):
    response = student.get("/api/facets/", filters)

    assert response.status_code == 400 and message in response.json()["error"]


def test_anonymous_requests_are_refused(anonymous_client, repository):
    assert anonymous_client.get("/api/facets/").status_code == 401


def test_counting_takes_a_fixed_number_of_queries(student, repository, django_assert_max_num_queries):
    from browser.filters import Filters
    from browser.services.facets import count_facets
    from tests.factories import make_user

    for _ in range(20):
        make_image(label="glioma", modality="MR", dataset="brain", sex="F", age=30)
    user = make_user("student")

    with django_assert_max_num_queries(9):  # one per facet, the total, the user's roles
        count_facets(filters=Filters(label="glioma"), user=user)
