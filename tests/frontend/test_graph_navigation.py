"""End to end in headless Chromium: expand a node and step back, the list view, permalinks, the repository picker."""
import re

import pytest
from playwright.sync_api import expect

from tests.frontend.ui import (click_graph_node, node_count, open_search_page, result_image_ids, search_with_upload,
                               wait_for_node_count)

pytestmark = pytest.mark.e2e


def test_expand_merges_neighbours_into_graph_and_back_restores_previous_view(
        live_server, mri_repository, page, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=10)
    expanded = result_image_ids(page)[-1]

    click_graph_node(page, expanded)
    page.click("#expand-node")
    page.wait_for_function("Number(document.querySelector('#graph').dataset.nodeCount) > 11")
    expect(page.locator("#status")).to_contain_text(re.compile(rf"Added [1-9]\d* neighbours of image #{expanded}"))
    after_expand = node_count(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "expand.png"))
    page.click("#back")

    assert 11 < after_expand <= 21
    wait_for_node_count(page, 11)
    expect(page.locator("#status")).to_contain_text("Back to the previous view")
    expect(page.locator("#back")).to_be_disabled()
    page.screenshot(path=str(screenshot_dir / "expand_back.png"))


def test_list_view_shows_same_results_ordered_by_similarity(
        live_server, mri_repository, page, query_image, screenshot_dir):
    from ingest.models import Image

    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=8)
    graph_ids = sorted(result_image_ids(page))

    page.click("#tab-list")
    cards = page.locator("#result-list .result-card")
    expect(cards).to_have_count(8)
    listed = [int(value) for value in cards.evaluate_all("cards => cards.map(card => card.dataset.imageId)")]
    scores = [float(value) for value in cards.evaluate_all("cards => cards.map(card => card.dataset.score)")]
    cards.nth(2).click()
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "list_view.png"))

    assert sorted(listed) == graph_ids
    assert scores == sorted(scores, reverse=True)
    expect(page.locator("#metadata-panel [data-field=label]")).to_have_text(Image.objects.get(pk=listed[2]).label)
    expect(page.locator("#graph-view")).to_be_hidden()


def test_permalink_of_a_repository_query_reproduces_the_expanded_view(
        live_server, mri_repository, page, chromium, screenshot_dir):
    open_search_page(page, live_server.url)
    page.fill("#k", "6")
    page.click("#pick-repository")
    picker = page.locator("#repository-picker")
    expect(picker.locator(".picker-card").first).to_be_visible()
    chosen = int(picker.locator(".picker-card").nth(3).get_attribute("data-image-id"))
    picker.locator(".picker-card").nth(3).click()
    wait_for_node_count(page, 7)
    expanded = result_image_ids(page)[0]
    click_graph_node(page, expanded)
    page.click("#expand-node")
    page.wait_for_function("Number(document.querySelector('#graph').dataset.nodeCount) > 7")
    expect(page.locator("#permalink")).to_be_enabled()
    permalink = page.url
    expected_count = node_count(page)

    other = page.context.new_page()  # same signed-in browser, a new tab
    other.goto(permalink)
    other.wait_for_selector(f"#graph[data-node-count='{expected_count}']")
    other.wait_for_timeout(500)
    other.screenshot(path=str(screenshot_dir / "permalink.png"))
    other.close()

    assert re.search(rf"#image_id={chosen}&k=6&expand={expanded}$", permalink)


def test_hovering_a_node_previews_it(live_server, mri_repository, page, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=10)
    page.wait_for_timeout(500)  # thumbnails reach the WebGL texture
    target = result_image_ids(page)[3]
    position = page.evaluate("(id) => window.__cbirGraph.viewportPosition(id)", target)
    box = page.locator("#graph").bounding_box()

    page.mouse.move(box["x"] + position["x"], box["y"] + position["y"])

    preview = page.locator("#hover-preview")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text(f"#{target}")
    page.screenshot(path=str(screenshot_dir / "hover_preview.png"))


def test_more_like_this_searches_around_a_result_and_back_returns_to_the_upload(
        live_server, mri_repository, page, query_image):
    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=7)
    chosen = result_image_ids(page)[1]

    click_graph_node(page, chosen)
    page.click("#more-like-this")

    page.wait_for_function(f"window.location.hash.startsWith('#image_id={chosen}&')")
    wait_for_node_count(page, 8)
    assert chosen not in result_image_ids(page)
    expect(page.locator("#upload-file-name")).to_have_text(f"Repository image #{chosen}")
    expect(page.locator("#permalink")).to_be_enabled()
    page.click("#back")
    expect(page.locator("#upload-file-name")).to_have_text(query_image.name)
    expect(page.locator("#permalink")).to_be_disabled()
    assert chosen in result_image_ids(page)
    assert page.evaluate("window.location.hash") == ""
