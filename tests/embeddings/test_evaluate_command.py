"""manage.py evaluate: metrics.json schema, hand-checked numbers, patient split, report, API, bad arguments."""
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from embeddings.encoders.base import Encoder
from embeddings.encoders.registry import register_encoder
from embeddings.evaluation_service import load_evaluation_sets
from embeddings.models import EncoderVersion, Evaluation
from tests.embeddings.conftest import write_labelled_folder

pytestmark = pytest.mark.django_db


@register_encoder("test-mean-intensity")
class MeanIntensityEncoder(Encoder):
    """1-D embedding: the mean pixel value, so rankings can be worked out by hand."""

    trainable = True
    dim = 1

    def embed(self, images):
        return np.asarray([[float(np.mean(image))] for image in images], np.float32).reshape(-1, 1)

    @classmethod
    def load(cls, checkpoint_dir):
        encoder = cls()
        encoder.version = "hand"
        return encoder


def _flat(value: int) -> np.ndarray:
    return np.full((8, 8), value, np.uint8)


@pytest.fixture
def hand_example(tmp_path):
    """Reference 10 A, 20 B, 30 A, 40 B; queries 0 (A), 26 (B) and an unlabelled `todo` one."""
    EncoderVersion.objects.create(name="test-mean-intensity", version="hand", dim=1, is_active=True,
                                  checkpoint_path=str(tmp_path))
    reference = write_labelled_folder(tmp_path / "reference", [
        {"file": f"r{value}.png", "label": label, "patient_id": f"p{value}", "pixels": _flat(value)}
        for value, label in ((10, "A"), (20, "B"), (30, "A"), (40, "B"))])
    queries = write_labelled_folder(tmp_path / "queries", [
        {"file": f"q{value}.png", "label": label, "patient_id": f"q{value}", "pixels": _flat(value)}
        for value, label in ((0, "A"), (26, "B"), (12, "todo"))])
    return reference, queries


def test_evaluate_matches_hand_computed_precision_recall_and_average_precision(hand_example, tmp_path):
    reference, queries = hand_example

    call_command("evaluate", "--reference", str(reference), "--queries", str(queries),
                 "--encoders", "test-mean-intensity", "--k", "1,2,3", "--out", str(tmp_path / "out"), "--no-plots")

    result = json.loads((tmp_path / "out" / "metrics.json").read_text())["encoders"]["test-mean-intensity"]
    assert result["version"] == "hand"
    assert result["map"] == pytest.approx(((1 + 2 / 3) / 2 + (1 / 2 + 2 / 3) / 2) / 2)
    assert result["precision_at"] == {"1": 0.5, "2": 0.5, "3": pytest.approx(2 / 3)}
    assert result["recall_at"] == {"1": 0.25, "2": 0.5, "3": 1.0}
    assert result["per_class"]["A"]["map"] == pytest.approx((1 + 2 / 3) / 2)
    assert result["ann_recall"] == 1.0 and "exact" in result["ann_method"]
    assert result["queries"] == 2  # the `todo` query never counts


def test_evaluate_writes_report_plots_and_a_stored_evaluation(two_class_folder, tmp_path):
    out = tmp_path / "out"

    call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline", "--k", "1,5",
                 "--out", str(out))

    metrics = json.loads((out / "metrics.json").read_text())
    baseline = metrics["encoders"]["baseline"]
    assert set(baseline) >= {"version", "map", "precision_at", "recall_at", "map_ci95", "per_class", "ann_recall"}
    assert {"precision_at_k.png", "per_class_map.png", "tsne_baseline.png", "report.md"} <= {p.name for p in out.iterdir()}
    assert "| baseline |" in (out / "report.md").read_text()
    assert Evaluation.objects.get().metrics == metrics


def test_without_queries_the_reference_is_split_by_patient(two_class_folder):
    sets = load_evaluation_sets([two_class_folder], [], label_column="label", max_images=None, seed=0)

    assert len(sets.queries) > 0 and len(sets.reference) > 0
    assert not set(sets.queries.groups) & set(sets.reference.groups)
    assert "patient-level" in sets.split


def test_evaluations_api_serves_stored_results(two_class_folder, tmp_path, api_client):
    call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline", "--k", "1",
                 "--out", str(tmp_path / "out"), "--no-plots")

    response = api_client.get("/api/evaluations/")

    assert response.status_code == 200
    assert response.json()[0]["metrics"]["encoders"]["baseline"]["precision_at"].keys() == {"1"}
    assert response.json()[0]["reference_dirs"] == [two_class_folder.name]  # the server's paths stay private
    assert response["X-Total-Count"] == "1" and api_client.get("/api/evaluations/?offset=1").json() == []


def test_dataset_without_the_label_column_is_refused(two_class_folder, tmp_path):
    with pytest.raises(CommandError, match="'diagnosis' columns"):
        call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline",
                     "--label-column", "diagnosis", "--out", str(tmp_path / "out"))


def test_dataset_with_only_unlabelled_images_is_refused(tmp_path):
    unlabelled = write_labelled_folder(tmp_path / "todo", [
        {"file": f"{i}.png", "label": "todo", "patient_id": str(i), "pixels": _flat(i)} for i in range(4)])

    with pytest.raises(CommandError, match="evaluation needs labels"):
        call_command("evaluate", "--reference", str(unlabelled), "--encoders", "baseline", "--out", str(tmp_path / "o"))


def test_unknown_encoder_is_refused_before_any_work(two_class_folder, tmp_path):
    with pytest.raises(CommandError, match="unknown encoder 'nope'"):
        call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline,nope",
                     "--out", str(tmp_path / "out"))

    assert not (tmp_path / "out").exists()


def test_untrained_learned_encoder_is_refused_with_the_command_to_train_it(two_class_folder, tmp_path):
    with pytest.raises(CommandError, match="train_encoder cnn-autoencoder"):
        call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "cnn-autoencoder",
                     "--out", str(tmp_path / "out"))


def test_bad_k_list_is_refused(two_class_folder, tmp_path):
    with pytest.raises(CommandError, match="--k"):
        call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline", "--k", "0,5",
                     "--out", str(tmp_path / "out"))


def test_out_pointing_at_a_file_is_refused_before_any_work(two_class_folder, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")

    with pytest.raises(CommandError, match="is a file, not a folder"):
        call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline", "--out", str(afile))
    assert not Evaluation.objects.exists()


def test_an_image_listed_but_missing_is_named(two_class_folder, tmp_path):
    (two_class_folder / "labels.csv").write_text((two_class_folder / "labels.csv").read_text()
                                                 + "images/ghost.png,square,p99\n")

    with pytest.raises(CommandError, match=r"cannot read image .*ghost.png listed in labels.csv"):
        call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline",
                     "--out", str(tmp_path / "out"))


def test_an_unreadable_checkpoint_is_refused_with_its_name(two_class_folder, tmp_path, settings):
    from pathlib import Path

    from embeddings.services import _load_encoder_cached

    call_command("train_encoder", "cnn-autoencoder", "--dataset", str(two_class_folder), "--epochs", "1",
                 "--img-size", "16", "--batch", "4", "--activate")
    version = EncoderVersion.objects.get(name="cnn-autoencoder", is_active=True)
    weights = Path(version.checkpoint_path) / "weights.pt"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated, as by a full disk
    _load_encoder_cached.cache_clear()

    with pytest.raises(CommandError, match=f"checkpoint of cnn-autoencoder@{version.version} .* is unreadable"):
        call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "cnn-autoencoder",
                     "--out", str(tmp_path / "out"))


def test_queries_that_are_also_reference_images_are_refused(two_class_folder, tmp_path):
    with pytest.raises(CommandError, match="query images are also reference images"):
        call_command("evaluate", "--reference", str(two_class_folder), "--queries", str(two_class_folder),
                     "--encoders", "baseline", "--out", str(tmp_path / "out"), "--no-plots")


def test_cut_offs_are_sorted_and_deduplicated(two_class_folder, tmp_path):
    call_command("evaluate", "--reference", str(two_class_folder), "--encoders", "baseline", "--k", "5,1,5",
                 "--out", str(tmp_path / "out"), "--no-plots")

    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert list(metrics["encoders"]["baseline"]["precision_at"]) == ["1", "5"]
