"""The demo corpus: the shared labelled datasets, else the DICOM images pydicom ships."""
import pytest

from ingest.demo import PACKAGED_CORPUS_NAME, ingest_demo_corpus
from ingest.models import Image, Rejection

pytestmark = pytest.mark.django_db


def test_without_shared_datasets_the_packaged_dicom_images_are_ingested_once(settings, tmp_path):
    settings.DATASETS_DIR = tmp_path / "no-datasets-here"

    first = ingest_demo_corpus()
    refusals_of_first_run = Rejection.objects.filter(channel="folder").count()
    second = ingest_demo_corpus()

    report = first.reports[PACKAGED_CORPUS_NAME]
    assert "pydicom" in first.source and len(report.created_ids) >= 10
    assert Image.objects.filter(series__study__dataset__name=PACKAGED_CORPUS_NAME).count() == len(report.created_ids)
    assert all(reason for _, reason in report.skipped)  # non-images and undecodable files say why
    assert refusals_of_first_run == len(report.skipped)
    # pydicom ships some images several times (other transfer syntaxes, same SOP instance): present, not new
    assert second.created_ids == []
    assert set(report.created_ids) <= set(second.reports[PACKAGED_CORPUS_NAME].existing_ids)
