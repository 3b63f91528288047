"""Signing in and out in the real browser; nothing is shown to anonymous visitors."""
import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from tests.frontend.ui import search_with_upload

pytestmark = pytest.mark.e2e


def test_anonymous_visitor_signs_in_then_searches_then_signs_out(
        live_server, mri_repository, anonymous_page, query_image, screenshot_dir):
    make_user("student", username="ana")
    page = anonymous_page

    page.goto(live_server.url + "/")
    dialog = page.locator("#sign-in")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "sign_in.png"))
    page.fill("#sign-in-username", "ana")
    page.fill("#sign-in-password", "wrong")
    page.click("#sign-in-submit")
    expect(dialog.locator(".sign-in-error")).to_have_text("Wrong username or password.")
    page.fill("#sign-in-password", "pw-student")
    page.click("#sign-in-submit")

    expect(dialog).to_be_hidden()
    expect(page.locator("#account-name")).to_have_text("ana (student)")
    search_with_upload(page, query_image, k=5)
    expect(page.locator("#status")).to_contain_text("Found 5 similar images in")
    expect(page.locator("#result-list .result-card")).to_have_count(5)
    page.click("#sign-out")
    expect(dialog).to_be_visible()
    # the next person at this screen sees nothing of ana's: no results, no history, no chosen file
    expect(page.locator("#result-list .result-card")).to_have_count(0)
    expect(page.locator("#back")).to_be_disabled()
    assert page.eval_on_selector("#image-input", "input => input.files.length") == 0


def test_an_expired_session_brings_the_dialog_back(live_server, mri_repository, page, query_image):
    page.goto(live_server.url + "/")
    expect(page.locator("#account")).to_be_visible()
    page.context.clear_cookies()

    page.set_input_files("#image-input", str(query_image))
    page.click("#search")

    expect(page.locator("#sign-in")).to_be_visible()


def test_another_user_signing_in_after_an_expired_session_starts_from_a_clean_page(
        live_server, mri_repository, page, query_image):
    make_user("student", username="ben")
    page.goto(live_server.url + "/")
    search_with_upload(page, query_image, k=5)
    expect(page.locator("#result-list .result-card")).to_have_count(5)
    page.context.clear_cookies()  # the session expires; someone else sits down

    page.click("#search")
    page.fill("#sign-in-username", "ben")
    page.fill("#sign-in-password", "pw-student")
    page.click("#sign-in-submit")

    expect(page.locator("#account-name")).to_have_text("ben (student)")
    expect(page.locator("#result-list .result-card")).to_have_count(0)
