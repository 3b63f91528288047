"""End to end in headless Chromium: upload an image, see its proximity graph, open a node's metadata."""
import pytest
from playwright.sync_api import expect

from tests.frontend.ui import click_graph_node, open_search_page, result_image_ids, search_with_upload

pytestmark = pytest.mark.e2e


def test_upload_draws_graph_of_k_plus_one_nodes_and_opens_node_metadata(
        live_server, mri_repository, page, query_image, screenshot_dir):
    from ingest.models import Image

    open_search_page(page, live_server.url)

    search_with_upload(page, query_image, k=12)
    expect(page.locator("#status")).to_contain_text("Found 12 similar images in")
    expect(page.locator("#query-summary")).to_contain_text("MRPT index")
    chosen = result_image_ids(page)[0]
    click_graph_node(page, chosen)

    panel = page.locator("#metadata-panel")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-image-id", str(chosen))
    expect(panel.locator("[data-field=label]")).to_have_text(Image.objects.get(pk=chosen).label)
    expect(panel.locator(".panel-metadata")).to_contain_text("Body part")
    assert len(result_image_ids(page)) == 12
    expect(panel.locator(".panel-image img")).to_have_js_property("complete", True)
    assert panel.locator(".panel-image").bounding_box()["height"] > 200, "the larger image is not shown"
    page.fill("#display-contrast", "150")
    expect(panel.locator(".panel-image img")).to_have_attribute("style", "filter: brightness(100%) contrast(150%);")
    page.wait_for_timeout(500)  # let the thumbnails reach the WebGL texture before the screenshot
    page.screenshot(path=str(screenshot_dir / "search_page.png"))


def test_search_error_is_shown_to_the_user(live_server, mri_repository, page, tmp_path, screenshot_dir):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"this is not an image")
    open_search_page(page, live_server.url)

    page.set_input_files("#image-input", str(not_an_image))
    page.click("#search")

    expect(page.locator("#status")).to_have_attribute("data-state", "error")
    expect(page.locator("#status")).to_contain_text("Error:")
    assert page.get_attribute("#graph", "data-node-count") == "0"


def test_empty_page_invites_a_query_and_many_results_still_draw(
        live_server, mri_repository, page, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    expect(page.locator("#graph-empty")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Upload an image or pick one from the repository.")
    page.screenshot(path=str(screenshot_dir / "empty_page.png"))

    search_with_upload(page, query_image, k=100)

    expect(page.locator("#graph-empty")).to_be_hidden()
    assert len(result_image_ids(page)) == 100
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshot_dir / "search_k100.png"))


def test_repository_picker_lists_images_and_searches_with_the_chosen_one(
        live_server, mri_repository, page, screenshot_dir):
    open_search_page(page, live_server.url)
    page.fill("#k", "5")
    page.click("#pick-repository")
    picker = page.locator("#repository-picker")
    picker.locator("input[name=label]").fill("notumor")
    picker.locator("[data-action=filter]").click()
    expect(picker.locator(".picker-status")).to_have_text("")
    expect(picker.locator(".picker-card").first).to_contain_text("notumor")
    expect(picker.locator(".picker-page")).to_contain_text("of 55")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "repository_picker.png"))
    chosen = int(picker.locator(".picker-card").first.get_attribute("data-image-id"))

    picker.locator(".picker-card").first.click()

    page.wait_for_selector("#graph[data-node-count='6']")
    expect(picker).to_be_hidden()
    expect(page.locator("#upload-file-name")).to_have_text(f"Repository image #{chosen}")
    assert chosen not in result_image_ids(page)
    assert page.url.endswith(f"#image_id={chosen}&k=5")


def test_dicom_query_is_drawn_as_a_yellow_disc_and_opens_the_query_tab(
        live_server, mri_repository, page, datasets_dir, screenshot_dir):
    dicom = datasets_dir / "dicom_samples" / "pydicom" / "MR_small.dcm"
    open_search_page(page, live_server.url)

    search_with_upload(page, dicom, k=5)
    click_graph_node(page, "query")

    panel = page.locator("#metadata-panel")
    expect(panel).to_contain_text("Query image")
    expect(panel).to_contain_text("No preview for this file type.")
    expect(page.locator("#permalink")).to_be_disabled()
    page.screenshot(path=str(screenshot_dir / "dicom_query.png"))
