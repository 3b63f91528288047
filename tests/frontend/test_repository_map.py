"""End to end in headless Chromium: the Map tab draws every repository image after build_map, filters them,
and clicking a point searches with that image."""
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.frontend.ui import open_search_page, wait_for_node_count

pytestmark = pytest.mark.e2e


def click_map_point(page, image_id: int) -> None:
    position = page.evaluate("(id) => window.__cbirMap.viewportPosition(id)", image_id)
    assert position is not None, f"point {image_id} is not on the map"
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])


def test_map_shows_every_image_filters_and_clicking_a_point_draws_its_graph(
        live_server, mri_repository, page, screenshot_dir):
    call_command("build_map")
    open_search_page(page, live_server.url)
    page.fill("#k", "7")

    page.click("#tab-map")

    expect(page.locator("#map")).to_have_attribute("data-point-count", str(len(mri_repository)))
    expect(page.locator("#map-status")).to_contain_text(f"{len(mri_repository)} images on the map")
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshot_dir / "repository_map.png"))

    page.fill("#map-label", "pituitary")
    page.click("#map-apply")
    expect(page.locator("#map")).to_have_attribute("data-point-count", "55")
    picked = page.evaluate("window.__cbirMap.imageIds()")[0]
    click_map_point(page, picked)

    wait_for_node_count(page, 8)
    expect(page.locator("#graph-view")).to_be_visible()
    expect(page.locator("#upload-file-name")).to_contain_text(f"#{picked}")
