"""End to end in headless Chromium: the filters are facets whose counts follow the other filters."""
import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from tests.frontend.test_accessibility import serious_violations
from tests.frontend.ui import (choose_filter, open_search_page, result_image_ids, wait_for_facets,
                               wait_for_node_count)

pytestmark = pytest.mark.e2e

OPTION_TEXT = re.compile(r"^(?P<value>.*) \((?P<count>\d+)\)$")


def option_counts(page, selector: str) -> dict[str, int]:
    """value -> count shown by a facet select's options ("any" left out)."""
    options = page.eval_on_selector_all(f"{selector} option", "options => options"
                                        ".filter((option) => option.value && !option.disabled)"
                                        ".map((option) => [option.value, option.textContent])")
    return {value: int(OPTION_TEXT.match(text).group("count")) for value, text in options}


def hand_count(image_ids, field: str) -> dict[str, int]:
    from ingest.models import Image

    return dict(Counter(Image.objects.filter(pk__in=image_ids).values_list(field, flat=True)))


def test_the_options_show_counts_that_add_up_to_the_repository(live_server, mri_repository, page):
    open_search_page(page, live_server.url)

    wait_for_facets(page)

    labels = option_counts(page, "#filter-label")
    assert labels == hand_count(mri_repository, "label") and sum(labels.values()) == len(mri_repository) == 220
    assert option_counts(page, "#filter-modality") == hand_count(mri_repository, "modality")
    assert option_counts(page, "#filter-body-part") == hand_count(mri_repository, "body_part")
    assert option_counts(page, "#filter-dataset") == {"brain_tumor_mri": 220}
    expect(page.locator("#filter-label option[value='glioma']")).to_have_text("glioma (55)")
    expect(page.locator("#facet-total")).to_have_text("Images matching these filters: 220")
    expect(page.locator("#age-buckets .age-bucket.unknown")).to_have_text("unknown (220)")
    page.select_option("#language", "es")
    expect(page.locator("#facet-total")).to_have_text("Imágenes que cumplen estos filtros: 220")
    expect(page.locator("#age-buckets .age-bucket.unknown")).to_have_text("desconocida (220)")


def test_counts_appear_after_signing_in(live_server, mri_repository, anonymous_page):
    make_user("student", username="bea")
    page = anonymous_page
    page.goto(live_server.url + "/")
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.get_attribute("#filters", "data-facets") == "idle"

    page.fill("#sign-in-username", "bea")
    page.fill("#sign-in-password", "pw-student")
    page.click("#sign-in-submit")

    wait_for_facets(page)
    expect(page.locator("#filter-label option[value='notumor']")).to_have_text("notumor (55)")


def test_choosing_a_diagnosis_updates_the_other_counts_and_an_age_group_fills_the_range(
        live_server, mri_repository, page, screenshot_dir):
    from ingest.models import Image, Study

    images = Image.objects.filter(pk__in=mri_repository).order_by("pk")
    gliomas = list(images.filter(label="glioma").values_list("pk", flat=True))
    Image.objects.filter(pk__in=gliomas[:5] + list(images.filter(label="meningioma").values_list("pk", flat=True)[:10])) \
        .update(modality="CT")
    thirty = list(images.filter(label="pituitary").values_list("pk", flat=True)[:8])
    Study.objects.filter(series__images__pk__in=thirty).update(age_years=30)
    Study.objects.filter(series__images__pk__in=list(images.filter(label="notumor").values_list("pk", flat=True)[:4])) \
        .update(age_years=65)
    in_their_thirties = Image.objects.filter(pk__in=mri_repository, series__study__age_years__range=(18, 39))
    open_search_page(page, live_server.url)
    wait_for_facets(page)
    assert option_counts(page, "#filter-modality") == {"MR": 205, "CT": 15}

    choose_filter(page, "#filter-label", "glioma")

    wait_for_facets(page)
    assert option_counts(page, "#filter-modality") == {"MR": 50, "CT": 5}
    assert option_counts(page, "#filter-label") == hand_count(mri_repository, "label")  # its own choice narrows nothing
    expect(page.locator("#age-buckets .age-bucket[data-age-min='18']")).to_have_text("18–39 (0)")
    expect(page.locator("#facet-total")).to_have_text("Images matching these filters: 55")

    page.select_option("#filter-label", "")
    page.click("#age-buckets .age-bucket[data-age-min='18']")

    expect(page.locator("#filter-age-min")).to_have_value("18")
    expect(page.locator("#filter-age-max")).to_have_value("39")
    wait_for_facets(page)
    assert option_counts(page, "#filter-label") == hand_count(in_their_thirties, "label") == {"pituitary": 8}
    expect(page.locator("#age-buckets .age-bucket[data-age-min='18']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#age-buckets .age-bucket[data-age-min='60']")).to_have_text("60–79 (4)")
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)
    page.locator(".sidebar, aside").first.screenshot(path=str(screenshot_dir / "facets.png"))


@pytest.fixture
def teaching_sets(mri_repository):
    """A set shared with students (six cases, the query among them) and an educator's private draft."""
    from browser.teaching import add_case, create_teaching_set, update_teaching_set

    educator = make_user("educator")
    shared = create_teaching_set(owner=educator, title="Pituitary cases")
    members = mri_repository[-6:]
    for image_id in members:
        add_case(teaching_set=shared, image_id=image_id)
    update_teaching_set(teaching_set=shared, is_shared_with_students=True)
    draft = create_teaching_set(owner=educator, title="Private draft")
    add_case(teaching_set=draft, image_id=mri_repository[0])
    return shared, members


def test_a_search_with_a_facet_selected_returns_only_matching_results(
        live_server, mri_repository, teaching_sets, page, query_image, screenshot_dir):
    shared, members = teaching_sets
    open_search_page(page, live_server.url)

    choose_filter(page, "#filter-teaching-set", str(shared.pk))

    wait_for_facets(page)
    expect(page.locator("#filter-teaching-set option:checked")).to_have_text("Pituitary cases (6)")
    assert option_counts(page, "#filter-teaching-set") == {str(shared.pk): 6}  # the private draft is not offered
    assert option_counts(page, "#filter-label") == hand_count(members, "label")
    page.set_input_files("#image-input", str(query_image))
    page.fill("#k", "20")
    page.click("#search")
    wait_for_node_count(page, len(members) + 1)  # fewer matches than k: exactly the matches
    assert set(result_image_ids(page)) == set(members)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "facets_teaching_set_search.png"))


def test_a_permalink_restores_the_facet_choice(live_server, mri_repository, teaching_sets, page):
    shared, members = teaching_sets

    open_search_page(page, live_server.url, hash_=f"#image_id={members[0]}&k=5&teaching_set={shared.pk}")

    wait_for_node_count(page, 6)
    assert set(result_image_ids(page)) == set(members[1:])
    expect(page.locator("#filter-teaching-set option:checked")).to_have_text("Pituitary cases (6)")
    assert page.evaluate("window.location.hash") == f"#image_id={members[0]}&k=5&teaching_set={shared.pk}"
