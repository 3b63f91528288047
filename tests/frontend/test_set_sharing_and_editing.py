"""End to end in headless Chromium: an educator renames a teaching set, edits its description and shares it
with a group; a student of that group reads it without edit controls, a student outside it never sees it."""
import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.factories import make_user
from tests.frontend.test_accessibility import serious_violations
from tests.frontend.ui import open_search_page

pytestmark = pytest.mark.e2e

EDIT_CONTROLS = ["#set-title-input", "#set-description-input", "#save-set-details", "#set-sharing",
                 "#share-with-students", "#delete-set", "textarea", ".case-remove"]


@pytest.fixture
def draft_set(transactional_db, datasets_dir):
    """An educator's unshared set of two real brain MRI slices, each with a teaching note."""
    from browser.teaching import add_case, create_teaching_set
    from ingest.services import get_or_create_dataset, ingest_image_file

    educator = make_user("educator")
    teaching_set = create_teaching_set(owner=educator, title="Draft set")
    dataset = get_or_create_dataset("brain_tumor_mri")
    for name in ["Tr-gl_1131.png", "Tr-gl_0641.png"]:
        image = ingest_image_file(path=datasets_dir / "brain_tumor_mri" / "images" / "glioma" / name, dataset=dataset).image
        add_case(teaching_set=teaching_set, image_id=image.pk, teaching_note=f"Enhancing rim in {name}.")
    return educator, teaching_set


def watched_tab(page_as, user) -> tuple:
    """A signed-in tab and the JavaScript errors it raises (page_as does not check them itself)."""
    tab = page_as(user)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    return tab, errors


def open_teaching_tab(tab, base_url: str) -> None:
    open_search_page(tab, base_url)
    tab.click("#tab-teaching")
    expect(tab.locator("#teaching-view .set-list h2")).to_be_visible()


def test_educator_renames_describes_and_shares_a_set_with_one_group_only(live_server, draft_set, page_as,
                                                                          screenshot_dir):
    from browser.models import TeachingSet

    educator, teaching_set = draft_set
    cohort = Group.objects.create(name="year-3")
    Group.objects.create(name="residents")
    member, outsider = make_user("student"), make_user("student")
    member.groups.add(cohort)

    tab, errors = watched_tab(page_as, educator)
    open_teaching_tab(tab, live_server.url)
    tab.click(".set-item:has-text('Draft set')")
    expect(tab.locator("#set-sharing input[data-group='year-3']")).to_be_visible()
    expect(tab.locator("#set-shared-with")).to_have_text("Not shared yet.")

    tab.fill("#set-title-input", "")
    tab.click("#save-set-details")
    expect(tab.locator(".workspace-message.is-error")).to_have_text("Error: title: This field may not be blank.")
    expect(tab.locator("#set-title-input")).to_have_value("")
    expect(tab.locator("#teaching-set-title")).to_have_text("Draft set")

    tab.fill("#set-title-input", "Gliomas for year 3")
    tab.fill("#set-description-input", "Two enhancing gliomas to read before the tutorial.")
    tab.click("#save-set-details")
    expect(tab.locator(".workspace-message.is-ready")).to_have_text("Title and description saved.")
    expect(tab.locator("#teaching-set-title")).to_have_text("Gliomas for year 3")
    expect(tab.locator(".set-description")).to_have_text("Two enhancing gliomas to read before the tutorial.")
    expect(tab.locator(".set-item.is-selected")).to_contain_text("Gliomas for year 3")

    tab.get_by_label("year-3 — members: 1").check()
    expect(tab.locator("#set-shared-with")).to_have_text("Shared with: year-3")
    expect(tab.locator("#set-sharing input[data-group='year-3']")).to_be_checked()
    expect(tab.locator("#set-sharing input[data-group='residents']")).not_to_be_checked()
    tab.screenshot(path=str(screenshot_dir / "teaching_set_sharing_educator.png"))
    violations = serious_violations(tab)
    assert not violations, "\n".join(violations)

    saved = TeachingSet.objects.get(pk=teaching_set.pk)
    assert (saved.title, saved.description) == ("Gliomas for year 3", "Two enhancing gliomas to read before the tutorial.")
    assert list(saved.shared_with_groups.values_list("name", flat=True)) == ["year-3"]
    assert not saved.is_shared_with_students

    student, student_errors = watched_tab(page_as, member)
    open_teaching_tab(student, live_server.url)
    student.click(".set-item:has-text('Gliomas for year 3')")
    expect(student.locator("#teaching-set-page .case-card")).to_have_count(2)
    expect(student.locator("#teaching-set-title")).to_have_text("Gliomas for year 3")
    expect(student.locator(".set-description")).to_have_text("Two enhancing gliomas to read before the tutorial.")
    expect(student.locator("#set-shared-with")).to_have_text("Shared with: year-3")
    expect(student.locator(".read-only-note")).to_be_visible()
    expect(student.locator("#teaching-set-page .case-note").first).to_contain_text("Enhancing rim in Tr-gl_1131.png.")
    for control in EDIT_CONTROLS:
        expect(student.locator(f"#teaching-set-page {control}")).to_have_count(0)
    student.screenshot(path=str(screenshot_dir / "teaching_set_sharing_student_in_group.png"))

    stranger, stranger_errors = watched_tab(page_as, outsider)
    open_teaching_tab(stranger, live_server.url)
    expect(stranger.locator("#teaching-view .set-list")).to_contain_text("No teaching sets yet.")
    expect(stranger.locator(".set-item")).to_have_count(0)

    assert not errors + student_errors + stranger_errors, "JavaScript errors on the page"


def test_notes_typed_but_not_saved_survive_a_redraw_of_the_set(live_server, draft_set, page_as):
    """Coming back to the tab reloads the set from the server; what the educator was typing must stay."""
    from browser.models import TeachingCase

    educator, teaching_set = draft_set
    tab, errors = watched_tab(page_as, educator)
    open_teaching_tab(tab, live_server.url)
    tab.click(".set-item:has-text('Draft set')")
    first_note = tab.locator("#teaching-set-page .case-card").first.locator(".case-note-input")
    expect(first_note).to_have_value("Enhancing rim in Tr-gl_1131.png.")
    first_note.fill("Typed, not saved yet.")

    drawn_before = tab.locator("#teaching-set-page .case-card").first.element_handle()
    tab.click("#tab-list")
    tab.click("#tab-teaching")
    tab.wait_for_function("card => !card.isConnected", arg=drawn_before)  # the set was drawn again
    expect(tab.locator("#teaching-set-page .case-card")).to_have_count(2)
    expect(first_note).to_have_value("Typed, not saved yet.")

    tab.locator("#teaching-set-page .case-card").first.locator(".case-save").click()
    expect(tab.locator(".workspace-message")).to_have_text("Notes saved.")
    notes = list(TeachingCase.objects.filter(teaching_set=teaching_set).order_by("position")
                 .values_list("teaching_note", flat=True))
    assert notes == ["Typed, not saved yet.", "Enhancing rim in Tr-gl_0641.png."]
    assert errors == []


def test_a_student_pages_past_the_first_two_hundred_shared_sets(live_server, page_as, transactional_db):
    from browser.models import TeachingSet

    educator = make_user("educator")
    TeachingSet.objects.bulk_create(TeachingSet(owner=educator, title=f"Shared set {n:03d}", is_shared_with_students=True)
                                    for n in range(203))
    tab, errors = watched_tab(page_as, make_user("student"))
    open_teaching_tab(tab, live_server.url)

    expect(tab.locator(".set-item")).to_have_count(200)
    expect(tab.locator(".sets-more")).to_contain_text("Showing 200 of 203.")
    tab.locator(".sets-more button").click()
    expect(tab.locator(".set-item")).to_have_count(203)
    expect(tab.locator(".sets-more")).to_have_count(0)
    assert errors == []
