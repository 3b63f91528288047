"""End to end in headless Chromium: a curator uploads a real brain MRI PNG and a file that is no image from the
Curation tab, and sees one ingested and one rejected with its reason; sending the PNG again is a duplicate."""
import pytest
from playwright.sync_api import expect

from tests.frontend.test_accessibility import serious_violations
from tests.frontend.ui import open_search_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_in_role():
    return "curator"


@pytest.fixture
def real_png(datasets_dir):
    return datasets_dir / "brain_tumor_mri" / "images" / "glioma" / "Tr-gl_1131.png"


@pytest.fixture
def not_an_image(tmp_path):
    path = tmp_path / "referral-letter.txt"
    path.write_text("Please review the MRI of the brain.\n", encoding="utf-8")
    return path


def upload(page, files, **fields) -> None:
    page.set_input_files("#ingest-files", [str(path) for path in files])
    for field, value in fields.items():
        page.fill(f"#ingest-{field.replace('_', '-')}", value)
    page.click("#ingest-submit")


def test_curator_uploads_a_png_and_a_non_image_and_sees_each_outcome(live_server, page, real_png, not_an_image,
                                                                     screenshot_dir):
    from ingest.models import Image

    open_search_page(page, live_server.url, hash_="?view=curation")
    expect(page.locator("#ingest-files")).to_be_visible()

    upload(page, [real_png, not_an_image], dataset="teaching-uploads", label="glioma", modality="MR")

    outcomes = page.locator("#ingest-outcomes .upload-outcome")
    expect(outcomes).to_have_count(2)
    stored = page.locator(f"#ingest-outcomes [data-name='{real_png.name}']")
    expect(stored).to_have_attribute("data-status", "stored")
    expect(stored).to_contain_text("Ingested as image #")
    refused = page.locator(f"#ingest-outcomes [data-name='{not_an_image.name}']")
    expect(refused).to_have_attribute("data-status", "refused")
    expect(refused).to_contain_text("Rejected: ")
    expect(refused).to_contain_text("not a PNG, JPEG or DICOM")
    expect(page.locator(".curation-list.rejections")).to_contain_text("upload")
    page.screenshot(path=str(screenshot_dir / "curation_upload.png"))
    violations = serious_violations(page)
    assert not violations, "\n".join(violations)

    image = Image.objects.get()
    assert (image.label, image.modality, image.series.study.dataset.name) == ("glioma", "MR", "teaching-uploads")
    expect(stored).to_contain_text(f"#{image.pk}")

    upload(page, [real_png])

    expect(outcomes).to_have_count(1)
    expect(outcomes.first).to_have_attribute("data-status", "present")
    expect(outcomes.first).to_contain_text(f"Duplicate: already in the repository as image #{image.pk}.")


def test_uploading_without_choosing_files_asks_for_them(live_server, page):
    open_search_page(page, live_server.url, hash_="?view=curation")
    expect(page.locator("#ingest-files")).to_be_visible()

    page.click("#ingest-submit")

    expect(page.locator(".upload-ingest .panel-error")).to_have_text("Choose one or more files first.")
