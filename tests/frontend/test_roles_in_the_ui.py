"""End to end in headless Chromium: each role sees only the controls it may use; a student is refused the
curation view; a curator releases a quarantined image."""
import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from tests.frontend.ui import open_first_result, open_search_page, search_with_upload

pytestmark = pytest.mark.e2e


def test_student_sees_no_teaching_set_editing_no_save_search_and_no_curation(
        live_server, mri_repository, page, query_image, screenshot_dir):
    open_search_page(page, live_server.url)
    search_with_upload(page, query_image, k=5)
    open_first_result(page)

    expect(page.locator("#why-similar")).to_be_visible()
    expect(page.locator("#add-to-teaching-set")).to_have_count(0)
    expect(page.locator("#save-search")).to_be_hidden()
    expect(page.locator("#tab-saved")).to_be_hidden()
    expect(page.locator("#tab-curation")).to_be_hidden()
    page.click("#tab-list")
    expect(page.locator("#result-list .result-card")).to_have_count(5)
    expect(page.locator("#result-list .add-to-set")).to_have_count(0)
    page.click("#tab-teaching")
    expect(page.locator(".set-list .panel-note")).to_have_text("No teaching sets yet.")
    expect(page.locator("#new-set-title")).to_have_count(0)


def test_student_opening_the_curation_view_directly_is_refused(live_server, page, screenshot_dir):
    page.goto(f"{live_server.url}/?view=curation")

    expect(page.locator("#curation-view .curation-refused")).to_contain_text("You are not allowed to review curation")
    expect(page.locator("#curation-view .curation-release")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "curation_refused_student.png"))


def test_curator_releases_a_quarantined_image_with_a_note_and_sees_rejections(
        live_server, mri_repository, page_as, screenshot_dir):
    from ingest.models import Image
    from ingest.services import record_rejection

    quarantined_id = mri_repository[0]
    Image.objects.filter(pk=quarantined_id).update(status=Image.Status.QUARANTINED, status_reason="burned-in text")
    record_rejection(channel="hl7", reason="missing patient pseudonym")
    curator = page_as(make_user("curator"))
    open_search_page(curator, live_server.url)

    curator.click("#tab-curation")

    card = curator.locator(f".curation-item[data-image-id='{quarantined_id}']")
    expect(card).to_contain_text("burned-in text")
    expect(curator.locator(".rejections")).to_contain_text("missing patient pseudonym")
    curator.screenshot(path=str(screenshot_dir / "curation_curator.png"))
    card.locator(".curation-release").click()
    expect(card.locator("[role=alert]")).to_have_text("Write a reviewer note before releasing the image.")
    card.locator(".release-note").fill("Text is outside the anatomy; safe.")
    card.locator(".curation-release").click()
    expect(curator.locator(".curation-item")).to_have_count(0)
    assert Image.objects.get(pk=quarantined_id).status == Image.Status.READY


def test_curator_pages_through_more_rejections_than_one_request_returns(live_server, page_as):
    from ingest.services import record_rejection

    for n in range(205):
        record_rejection(channel="fhir", reason=f"refused message {n}")
    curator = page_as(make_user("curator"))
    open_search_page(curator, live_server.url)

    curator.click("#tab-curation")

    rows = curator.locator(".rejections li")
    expect(rows).to_have_count(200)
    expect(curator.locator(".rejections-more")).to_contain_text("Showing 200 of 205.")
    curator.locator(".rejections-more button").click()
    expect(rows).to_have_count(205)
    expect(curator.locator(".rejections-more")).to_have_count(0)
    expect(rows.last).to_contain_text("refused message 0")  # newest first: the oldest is last
