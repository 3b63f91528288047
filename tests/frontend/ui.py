"""Small helpers that drive the search page the way a user does."""
from pathlib import Path

from playwright.sync_api import Page, expect


def open_search_page(page: Page, base_url: str, *, hash_: str = "") -> None:
    page.goto(f"{base_url}/{hash_}")
    expect(page.locator("#search")).to_be_enabled()


def choose_filter(page: Page, selector: str, value: str) -> None:
    """Choose a value in a filter (a facet select) once the counts have listed it."""
    page.wait_for_selector(f"{selector} option[value='{value}']", state="attached")
    page.select_option(selector, value)


def wait_for_facets(page: Page) -> None:
    """Wait until the filters' counts answer the filters as they are now."""
    page.wait_for_selector("#filters[data-facets='ready']", state="attached")


def search_with_upload(page: Page, image: Path, *, k: int) -> None:
    """Upload a query image, ask for k results and wait until the graph shows them all."""
    page.set_input_files("#image-input", str(image))
    page.fill("#k", str(k))
    page.click("#search")
    wait_for_node_count(page, k + 1)


def wait_for_node_count(page: Page, count: int) -> None:
    page.wait_for_selector(f"#graph[data-node-count='{count}']")


def node_count(page: Page) -> int:
    return int(page.get_attribute("#graph", "data-node-count"))


def result_image_ids(page: Page) -> list[int]:
    return page.evaluate("window.__cbirGraph.imageIds()")


def click_graph_node(page: Page, image_id: int | str) -> None:
    """Sigma draws on a canvas: ask where the node is drawn, then click that pixel."""
    position = page.evaluate("(id) => window.__cbirGraph.viewportPosition(id)", image_id)
    assert position is not None, f"node {image_id} is not in the graph"
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])


def open_first_result(page: Page) -> int:
    """Click the first result of the graph and wait for its metadata panel; returns its image id."""
    first = result_image_ids(page)[0]
    click_graph_node(page, first)
    page.wait_for_selector("#metadata-panel .panel-metadata")
    return first
