"""End to end in headless Chromium: an educator builds, annotates, orders, shares and exports a teaching set;
a student then reads it without edit controls."""
import csv
import io
import zipfile

import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from tests.frontend.ui import click_graph_node, open_search_page, result_image_ids, search_with_upload

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_in_role():
    return "educator"


def add_to_new_set(page, title: str) -> None:
    page.select_option("#add-to-set-choice", "new")
    page.fill("#add-to-set-new-title", title)
    page.click("#add-to-set-submit")
    expect(page.locator("#add-to-set")).to_be_hidden()


def case_ids(page) -> list[int]:
    return [int(value) for value in page.locator("#teaching-set-page .case-card").evaluate_all(
        "cards => cards.map((card) => card.dataset.imageId)")]


def test_educator_builds_annotates_orders_shares_and_exports_a_set_that_a_student_reads(
        live_server, mri_repository, page, page_as, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=6)
    first, second = result_image_ids(page)[:2]

    click_graph_node(page, first)
    page.click("#add-to-teaching-set")
    add_to_new_set(page, "Tumour cases for year 3")
    expect(page.locator("#status")).to_contain_text("added to “Tumour cases for year 3”")
    page.click("#tab-list")
    page.click(f"#result-list .add-to-set[data-image-id='{second}']")
    page.select_option("#add-to-set-choice", label="Tumour cases for year 3")
    page.click("#add-to-set-submit")
    expect(page.locator("#add-to-set")).to_be_hidden()

    page.click("#tab-teaching")
    page.click(".set-item:has-text('Tumour cases for year 3')")
    expect(page.locator("#teaching-set-page .case-card")).to_have_count(2)
    assert case_ids(page) == [first, second]
    first_case = page.locator("#teaching-set-page .case-card").first
    first_case.locator(".case-note-input").fill("Note the ring enhancement.")
    first_case.locator(".case-findings-input").fill("Peritumoral oedema")
    first_case.locator(".case-save").click()
    expect(page.locator(".workspace-message")).to_have_text("Notes saved.")
    page.locator("#teaching-set-page .case-card").first.locator(".case-down").click()
    expect(page.locator("#teaching-set-page .case-card").first).to_have_attribute("data-image-id", str(second))
    page.check("#share-with-students")
    expect(page.locator(".set-item.is-selected")).to_contain_text("Shared with students")
    page.screenshot(path=str(screenshot_dir / "teaching_set_educator.png"))

    with page.expect_download() as download_info:
        page.click("#export-png")
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    rows = list(csv.DictReader(io.StringIO(archive.read("cases.csv").decode("utf-8"))))

    assert len(rows) == 2
    assert "Note the ring enhancement." in rows[1].values()
    assert "Peritumoral oedema" in rows[1].values()

    student = page_as(make_user("student"))
    open_search_page(student, live_server.url)
    student.click("#tab-teaching")
    student.click(".set-item:has-text('Tumour cases for year 3')")
    expect(student.locator("#teaching-set-page .case-card")).to_have_count(2)
    expect(student.locator("#teaching-set-page .case-note").nth(1)).to_contain_text("Note the ring enhancement.")
    expect(student.locator("#teaching-set-page .case-findings").nth(1)).to_contain_text("Peritumoral oedema")
    expect(student.locator(".read-only-note")).to_be_visible()
    for control in ["textarea", ".case-up", ".case-down", ".case-remove", ".case-save", "#share-with-students",
                    "#export-png", "#delete-set", "#new-set-title"]:
        expect(student.locator(f"#teaching-view {control}")).to_have_count(0)
    student.screenshot(path=str(screenshot_dir / "teaching_set_student.png"))


def test_an_export_the_server_refuses_shows_its_reason_instead_of_a_broken_download(
        live_server, mri_repository, page, query_image):
    from ingest.models import Image
    from ingest.storage import media_path

    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=3)
    first = result_image_ids(page)[0]
    click_graph_node(page, first)
    page.click("#add-to-teaching-set")
    add_to_new_set(page, "Export check")
    media_path(Image.objects.get(pk=first).pixels_path).unlink()  # the file went missing on the server
    page.click("#tab-teaching")
    page.click(".set-item:has-text('Export check')")

    page.click("#export-png")

    expect(page.locator(".workspace-message")).to_contain_text(f"(image {first}): its image file is missing")
