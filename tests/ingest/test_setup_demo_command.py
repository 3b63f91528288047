"""manage.py setup_demo: ingest, embed, index, map and accounts; a second run redoes nothing."""
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from browser.models import IndexVersion
from tests.browser.conftest import write_subset_labels

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_datasets(datasets_dir, tmp_path, settings):
    """A datasets folder holding 40 brain MRI slices (the real images, linked, with a subset CSV)."""
    folder = tmp_path / "datasets" / "brain_tumor_mri"
    folder.mkdir(parents=True)
    (folder / "images").symlink_to(datasets_dir / "brain_tumor_mri" / "images")
    write_subset_labels(datasets_dir, "brain_tumor_mri", 10, folder / "labels.csv")
    settings.DATASETS_DIR = tmp_path / "datasets"


def test_setup_demo_makes_the_corpus_searchable_and_a_second_run_reuses_it(small_datasets, capsys):
    call_command("setup_demo", "--skip-training")
    first = capsys.readouterr().out

    call_command("setup_demo", "--skip-training")
    second = capsys.readouterr().out

    assert "brain_tumor_mri: 40 new" in first and "map of baseline@1: 40 points" in first
    assert IndexVersion.objects.count() == 1  # the second run built no new index (a rebuild retires, not deletes)
    assert "brain_tumor_mri: 0 new, 40 present" in second and "map of baseline@1 is current" in second
    assert User.objects.filter(username__startswith="demo-").count() == 5


def test_without_the_shared_datasets_the_demo_falls_back_to_dicom_samples_and_the_baseline(tmp_path, settings, capsys):
    from embeddings.models import EncoderVersion

    settings.DATASETS_DIR = tmp_path / "no-datasets"

    call_command("setup_demo")  # training is not skipped: there is just nothing to train on

    out = capsys.readouterr().out
    assert "skipping training, serving the baseline encoder" in out
    assert IndexVersion.objects.filter(status="ready").exists()
    assert not EncoderVersion.objects.exclude(name="baseline").exists()
