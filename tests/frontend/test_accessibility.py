"""axe-core (frontend devDependency) finds no serious or critical accessibility violations on the search page."""
from pathlib import Path

import pytest
from django.conf import settings

from tests.frontend.ui import click_graph_node, open_search_page, result_image_ids, search_with_upload

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
    click_graph_node(page, result_image_ids(page)[0])
    page.wait_for_selector("#metadata-panel .panel-metadata")
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
