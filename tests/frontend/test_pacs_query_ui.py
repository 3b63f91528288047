"""End to end in headless Chromium against a real Orthanc on loopback: a query typed as Study / Series / SOP
Instance UIDs draws the graph, a whole-series query draws series-level results in the graph and the list,
and the server's refusals (unknown UID: 404; incomplete UIDs: 400; PACS unreachable: 502) reach the status line."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import MR_SERIES, SAMPLES, uids
from tests.frontend.test_accessibility import serious_violations
from tests.frontend.ui import open_search_page, result_image_ids, wait_for_node_count

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def query_by_uids(page, *, k: int, study_uid: str = "", series_uid: str = "", sop_uid: str = "") -> None:
    """Open the PACS fields, type the UIDs (empty ones are left empty) and search."""
    if not page.locator("#pacs-query").evaluate("details => details.open"):
        page.click("#pacs-query summary")
    page.fill("#pacs-study-uid", study_uid)
    page.fill("#pacs-series-uid", series_uid)
    page.fill("#pacs-sop-uid", sop_uid)
    page.fill("#k", str(k))
    page.click("#search")


def test_query_by_instance_uids_draws_the_graph_with_the_same_image_first(
        live_server, pacs, mirrored_repository, page, screenshot_dir):
    ct_small = SAMPLES / "CT_small.dcm"
    open_search_page(page, live_server.url)

    query_by_uids(page, k=5, **uids(ct_small))

    wait_for_node_count(page, 6)
    expect(page.locator("#status")).to_contain_text("Found 5 similar images")
    assert result_image_ids(page)[0] == mirrored_repository[ct_small].pk
    assert int(page.get_attribute("#graph", "data-edge-count")) >= 5
    assert "#" not in page.url  # UIDs can identify a patient: they never go into a permalink
    expect(page.locator("#permalink")).to_be_disabled()
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)
    page.wait_for_timeout(500)  # let the thumbnails reach the WebGL texture before the screenshot
    page.screenshot(path=str(screenshot_dir / "pacs_query_instance.png"))


def test_query_by_series_uids_draws_series_level_results_in_graph_and_list(
        live_server, pacs, mirrored_repository, page, screenshot_dir):
    series_uids = uids(MR_SERIES[0])
    del series_uids["sop_uid"]
    open_search_page(page, live_server.url)

    query_by_uids(page, k=3, **series_uids)

    wait_for_node_count(page, 4)
    expect(page.locator("#status")).to_contain_text("similar series")
    expect(page.locator("#status")).to_contain_text(f"({len(MR_SERIES)} query slices)")
    mirrored_mr = {image.pk for path, image in mirrored_repository.items() if path in MR_SERIES}
    assert result_image_ids(page)[0] in mirrored_mr
    page.wait_for_timeout(500)  # let the thumbnails reach the WebGL texture before the screenshot
    page.screenshot(path=str(screenshot_dir / "pacs_query_series_graph.png"))

    page.click("#tab-list")
    expect(page.locator("#result-list .result-series")).to_have_count(3)
    first_card = page.locator("#result-list .result-card").first
    assert int(first_card.get_attribute("data-image-id")) in mirrored_mr
    expect(first_card.locator(".result-series")).to_have_text(
        f"Images in the series: {len(MR_SERIES)} · query slices matched: {len(MR_SERIES)}")
    page.screenshot(path=str(screenshot_dir / "pacs_query_series_list.png"))


def test_unknown_or_incomplete_uids_and_an_unreachable_pacs_show_the_servers_message(
        live_server, pacs, mirrored_repository, page, settings, screenshot_dir):
    known = uids(SAMPLES / "CT_small.dcm")
    open_search_page(page, live_server.url)

    query_by_uids(page, k=5, study_uid=known["study_uid"], series_uid=known["series_uid"], sop_uid="1.2.3.4.5.6.7.8.9")

    expect(page.locator("#status")).to_have_text("Error: the PACS has no instance with these UIDs")
    expect(page.locator("#status")).to_have_attribute("data-state", "error")
    expect(page.locator("#graph")).to_have_attribute("data-node-count", "0")
    page.screenshot(path=str(screenshot_dir / "pacs_query_unknown_uid.png"))

    query_by_uids(page, k=5, study_uid=known["study_uid"], sop_uid=known["sop_uid"])

    expect(page.locator("#status")).to_contain_text("a PACS query needs 'study_uid' and 'series_uid'")

    settings.PACS_DICOMWEB_URL = "http://127.0.0.1:9/dicom-web"  # discard port: nothing listens
    query_by_uids(page, k=5, **known)

    expect(page.locator("#status")).to_have_text("Error: the PACS is unreachable; try again later")
