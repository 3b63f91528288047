"""axe-core (frontend devDependency) finds no serious or critical accessibility violations on the search page."""
from pathlib import Path

import pytest
from django.conf import settings

from tests.frontend.ui import click_graph_node, open_first_result, open_search_page, result_image_ids, search_with_upload

pytestmark = pytest.mark.e2e

AXE = Path(settings.BASE_DIR) / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[str]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `cd frontend && npm ci`", pytrace=False)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
            f"{[(node['target'], node.get('failureSummary', '')) for node in violation['nodes']][:3]}"
            for violation in results["violations"] if violation["impact"] in {"serious", "critical"}]


def test_search_page_with_results_and_open_panel_has_no_serious_violations(
        live_server, mri_repository, page, query_image):
    open_search_page(page, live_server.url)
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)

    search_with_upload(page, query_image, k=8)
    open_first_result(page)
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)

    page.click("#tab-list")
    page.select_option("#language", "es")
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)


def test_repository_picker_has_no_serious_violations(live_server, mri_repository, page):
    open_search_page(page, live_server.url)
    page.click("#pick-repository")
    page.wait_for_selector("#repository-picker .picker-card")

    violations = serious_violations(page)

    assert not violations, "\n".join(violations)


def assert_no_serious_violations(page) -> None:
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)


def test_teaching_set_views_have_no_serious_violations_for_educator_and_student(
        live_server, mri_repository, page_as):
    from browser.teaching import add_case, create_teaching_set, update_teaching_set
    from tests.factories import make_user

    educator_user = make_user("educator")
    teaching_set = create_teaching_set(owner=educator_user, title="Pituitary adenomas")
    for image_id in mri_repository[:2]:
        add_case(teaching_set=teaching_set, image_id=image_id, teaching_note="Look at the sella.")
    update_teaching_set(teaching_set=teaching_set, is_shared_with_students=True)

    for user in [educator_user, make_user("student")]:
        tab = page_as(user)
        open_search_page(tab, live_server.url)
        tab.click("#tab-teaching")
        tab.click(".set-item:has-text('Pituitary adenomas')")
        tab.wait_for_selector("#teaching-set-page .case-card")
        assert_no_serious_violations(tab)
        tab.select_option("#language", "es")
        assert_no_serious_violations(tab)


def test_add_to_set_dialog_saved_searches_and_why_similar_have_no_serious_violations(
        live_server, mri_repository, page_as, query_image):
    from tests.factories import make_user

    tab = page_as(make_user("admin"))  # every capability: every control is on the page
    open_search_page(tab, live_server.url)
    search_with_upload(tab, query_image, k=5)
    click_graph_node(tab, result_image_ids(tab)[0])
    tab.wait_for_selector("#metadata-panel .panel-metadata")
    tab.click("#why-similar")
    tab.wait_for_selector("#why-similar-section .why-message")
    assert_no_serious_violations(tab)

    tab.click("#add-to-teaching-set")
    tab.wait_for_selector("#add-to-set-choice")
    assert_no_serious_violations(tab)
    tab.keyboard.press("Escape")

    tab.once("dialog", lambda dialog: dialog.accept("Accessible search"))
    tab.click("#save-search")
    tab.wait_for_selector("#status:has-text('Search saved')")
    tab.click("#tab-saved")
    tab.wait_for_selector(".saved-item")
    assert_no_serious_violations(tab)


def test_map_and_curation_views_have_no_serious_violations(live_server, mri_repository, page_as):
    from django.core.management import call_command
    from ingest.models import Image
    from tests.factories import make_user

    call_command("build_map")
    Image.objects.filter(pk=mri_repository[0]).update(status=Image.Status.QUARANTINED, status_reason="burned-in text")
    tab = page_as(make_user("curator"))
    open_search_page(tab, live_server.url)

    tab.click("#tab-map")
    tab.wait_for_selector("#map[data-point-count='219']")
    assert_no_serious_violations(tab)
    tab.click("#tab-curation")
    tab.wait_for_selector(".curation-item")
    assert_no_serious_violations(tab)
    tab.select_option("#language", "es")
    assert_no_serious_violations(tab)
