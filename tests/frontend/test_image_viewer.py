"""End to end in headless Chromium: a DICOM case's tab shows its raw values with window/level and scrolls its series."""
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.frontend.test_accessibility import serious_violations
from tests.frontend.ui import click_graph_node, open_search_page, wait_for_node_count

pytestmark = pytest.mark.e2e

CT_SERIES = ["17106", "17136", "17166", "17196"]  # one CT series, instance numbers 18, 180, 181, 182
CANVAS = "#viewer-canvas"
RED_CHANNEL_SUM = """() => {
  const canvas = document.querySelector('#viewer-canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let index = 0; index < data.length; index += 4) sum += data[index];
  return sum;
}"""


@pytest.fixture
def dicom_repository(transactional_db, datasets_dir) -> dict[str, int]:
    """Real DICOM samples ingested, embedded with the baseline and indexed: a head CT, a CT series, a 10-frame MR."""
    from embeddings.services import embed_and_index_new_images
    from ingest.services import get_or_create_dataset, ingest_image_file

    samples = datasets_dir / "dicom_samples"
    files = {"head_ct": samples / "pydicom-data" / "693_UNCI.dcm",
             "mr_frames": samples / "pydicom-data" / "emri_small.dcm",
             **{name: samples / "pydicom" / "dicomdirtests" / "77654033" / "CT2" / name for name in CT_SERIES}}
    dataset = get_or_create_dataset("dicom-samples")
    images = {name: ingest_image_file(path=Path(path), dataset=dataset).image.pk for name, path in files.items()}
    embed_and_index_new_images(image_ids=list(images.values()))
    return images


def open_case(page: Page, base_url: str, image_id: int) -> None:
    """Search with a repository image (permalink) and open the query's tab; waits for the first drawn frame."""
    open_search_page(page, base_url, hash_=f"#image_id={image_id}&k=3")
    wait_for_node_count(page, 4)
    click_graph_node(page, "query")
    page.wait_for_selector("#metadata-panel .panel-metadata")
    page.wait_for_selector(f"{CANVAS}[data-renders]")


def renders(page: Page) -> int:
    return int(page.get_attribute(CANVAS, "data-renders"))


def wait_for_render_after(page: Page, count: int) -> None:
    page.wait_for_function("(n) => Number(document.querySelector('#viewer-canvas').dataset.renders) > n", arg=count)


def test_a_ct_case_shows_its_dicom_window_and_presets_change_numbers_and_pixels(
        live_server, dicom_repository, page, screenshot_dir):
    open_case(page, live_server.url, dicom_repository["head_ct"])

    expect(page.locator("#viewer-window-width")).to_have_value("100")  # the file's WindowWidth
    expect(page.locator("#viewer-window-level")).to_have_value("40")
    expect(page.locator(".viewer-units")).to_have_text("Values in HU")
    expect(page.locator(".panel-image img")).to_have_count(0)
    assert page.eval_on_selector(CANVAS, "(canvas) => [canvas.width, canvas.height]") == [512, 512]
    default_pixels, count = page.evaluate(RED_CHANNEL_SUM), renders(page)

    page.select_option("#viewer-preset", "bone")

    expect(page.locator("#viewer-window-width")).to_have_value("1800")
    expect(page.locator("#viewer-window-level")).to_have_value("400")
    wait_for_render_after(page, count)
    bone_pixels = page.evaluate(RED_CHANNEL_SUM)
    assert bone_pixels != default_pixels
    page.screenshot(path=str(screenshot_dir / "image_viewer_ct_bone.png"))

    box, count = page.locator(CANVAS).bounding_box(), renders(page)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down(button="right")
    page.mouse.move(box["x"] + box["width"] / 2 - 60, box["y"] + box["height"] / 2 + 30, steps=4)
    page.mouse.up(button="right")
    expect(page.locator("#viewer-preset")).to_have_value("custom")
    expect(page.locator("#viewer-window-width")).not_to_have_value("1800")
    wait_for_render_after(page, count)
    assert page.evaluate(RED_CHANNEL_SUM) != bone_pixels
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)


def test_wheel_slider_and_keys_move_through_the_series(live_server, dicom_repository, page, screenshot_dir):
    ids = [dicom_repository[name] for name in CT_SERIES]
    open_case(page, live_server.url, ids[1])
    slice_text = page.locator("#viewer-slice-text")
    expect(slice_text).to_have_text("slice 2 / 4")
    expect(page.locator(CANVAS)).to_have_attribute("data-image-id", str(ids[1]))

    page.select_option("#viewer-preset", "lung")
    box = page.locator(CANVAS).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 120)

    expect(slice_text).to_have_text("slice 3 / 4")
    expect(page.locator(CANVAS)).to_have_attribute("data-image-id", str(ids[2]))
    expect(page.locator("#viewer-window-width")).to_have_value("1500")  # a chosen preset stays while scrolling

    page.fill("#viewer-slice", "1")
    expect(slice_text).to_have_text("slice 1 / 4")
    expect(page.locator(CANVAS)).to_have_attribute("data-image-id", str(ids[0]))

    page.focus(CANVAS)
    page.keyboard.press("End")
    expect(slice_text).to_have_text("slice 4 / 4")
    expect(page.locator(CANVAS)).to_have_attribute("data-image-id", str(ids[3]))
    page.select_option("#viewer-preset", "full")
    page.screenshot(path=str(screenshot_dir / "image_viewer_series.png"))

    page.select_option("#language", "es")
    expect(slice_text).to_have_text("corte 4 / 4")
    expect(page.locator("#viewer-preset option[value=lung]")).to_have_text("Pulmón")
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)


def test_arrow_keys_move_through_the_frames_of_a_multi_frame_image(live_server, dicom_repository, page):
    open_case(page, live_server.url, dicom_repository["mr_frames"])
    slice_text = page.locator("#viewer-slice-text")
    expect(slice_text).to_have_text("slice 6 / 10")  # the middle frame, as ingestion stored it
    expect(page.locator(CANVAS)).to_have_attribute("data-frame", "5")
    count = renders(page)

    page.focus(CANVAS)
    page.keyboard.press("ArrowDown")

    expect(slice_text).to_have_text("slice 7 / 10")
    expect(page.locator(CANVAS)).to_have_attribute("data-frame", "6")
    wait_for_render_after(page, count)
