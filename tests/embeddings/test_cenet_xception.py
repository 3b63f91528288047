"""The cenet-xception ensemble: RMP → Xception hand-off, dimensions, training stages, checkpoints."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from embeddings.encoders.base import TrainingData, TrainingOptions
from embeddings.encoders.cenet_common import MapReducer
from embeddings.encoders.cenet_xception import CENetXceptionEncoder, ensemble_full_dim

TINY = {"widths": (4, 8, 8, 8), "depths": (1, 1, 1, 1), "middle_repeats": 1, "entry_widths": (4, 4, 8, 8, 8),
        "exit_widths": (8, 8)}
RMP_CHANNELS = 8 + 4  # last CE-Net width + one channel per RMP pool kernel


def tiny_data() -> tuple[TrainingData, TrainingData]:
    rng = np.random.default_rng(0)
    images = [(rng.random((60, 80)) * 255).astype(np.uint8) for _ in range(10)]
    return (TrainingData(images=images[:6], labels=["COVID", "NonCOVID"] * 3, groups=list("abcdef")),
            TrainingData(images=images[6:], labels=["COVID", "NonCOVID"] * 2, groups=list("ghij")))


@pytest.fixture(scope="module")
def fitted():
    train, validation = tiny_data()
    options = TrainingOptions(epochs=2, img_size=64, batch_size=3, extra={**TINY, "pca_dim": 4})
    epochs = []
    result = CENetXceptionEncoder.fit(train, validation, options, progress=lambda epoch, _: epochs.append(epoch))
    return result, epochs, train


def test_rmp_encoding_feeds_xception_whose_last_map_has_the_same_shape():
    encoder = CENetXceptionEncoder(size=64, **TINY)

    with torch.no_grad():
        rmp, last_map = encoder.activation_maps(torch.randn(2, 1, 64, 64))

    assert rmp.shape == (2, RMP_CHANNELS, 2, 2)
    assert last_map.shape == rmp.shape


def test_full_embedding_has_the_papers_264192_values_at_512_px():
    assert ensemble_full_dim(512) == 264_192


def test_full_embedding_is_both_maps_flattened():
    encoder = CENetXceptionEncoder(size=64, reduction="none", **TINY)

    vectors = encoder.embed(tiny_data()[0].images[:3])

    assert encoder.full_dim == ensemble_full_dim(64, TINY["widths"]) == 2 * RMP_CHANNELS * 2 * 2
    assert vectors.shape == (3, encoder.full_dim)


def test_pool_reduction_keeps_one_value_per_channel_of_each_map():
    encoder = CENetXceptionEncoder(size=64, reduction="pool", **TINY)

    vectors = encoder.embed(tiny_data()[0].images[:3])

    assert vectors.shape == (3, 2 * RMP_CHANNELS) == (3, encoder.dim)


def test_pca_reduction_gives_pca_dim_values_after_fit(fitted):
    result, _, train = fitted

    vectors = result.encoder.embed(train.images)

    assert vectors.shape == (6, 4) == (6, result.encoder.dim)


def test_fit_runs_segmentation_then_classification_and_reports_each_epoch(fitted):
    result, epochs, _ = fitted

    assert [entry["stage"] for entry in result.history] == ["segmentation"] * 2 + ["classification"] * 2
    assert epochs == [1, 2, 3, 4]
    assert all("validation_p10" in entry for entry in result.history[2:])


def test_fit_leaves_the_cenet_trainable_again_and_on_cpu(fitted):
    result, _, _ = fitted

    parameters = list(result.encoder.networks["cenet"].parameters())

    assert all(p.requires_grad for p in parameters) and all(p.device.type == "cpu" for p in parameters)


def test_saved_and_reloaded_ensemble_gives_identical_embeddings(fitted, tmp_path):
    result, _, train = fitted
    result.encoder.save(tmp_path / "checkpoint")

    reloaded = CENetXceptionEncoder.load(tmp_path / "checkpoint")

    assert reloaded.config() == result.encoder.config()
    np.testing.assert_array_equal(reloaded.embed(train.images), result.encoder.embed(train.images))


def test_xception_map_ignores_the_scale_of_the_rmp_encoding():
    encoder = CENetXceptionEncoder(size=64, **TINY)
    xception = encoder.networks["xception"].eval()
    rmp = torch.rand(2, RMP_CHANNELS, 2, 2)

    with torch.no_grad():
        small, large = xception.last_activation_map(rmp), xception.last_activation_map(rmp * 1e4)

    torch.testing.assert_close(small, large)


def test_normalized_parts_weigh_the_rmp_and_xception_maps_equally():
    reducer = MapReducer("none", 4, normalize_parts=True)
    rmp, last_map = np.full((3, 2, 2, 2), 1e4, np.float32), np.full((3, 2, 2, 2), 0.5, np.float32)

    vectors = reducer.reduce([rmp, last_map])

    np.testing.assert_allclose(np.linalg.norm(vectors[:, :8], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors[:, 8:], axis=1), 1.0, rtol=1e-5)


@pytest.mark.django_db
def test_train_encoder_command_trains_saves_and_registers_the_ensemble(two_class_folder, settings):
    from django.core.management import call_command

    from embeddings.models import EncoderVersion

    call_command("train_encoder", "cenet-xception", "--dataset", str(two_class_folder), "--epochs", "1",
                 "--img-size", "32", "--batch", "4", "--option", "middle_repeats=1", "--option", "pca_dim=4",
                 "--option", "normalize_parts=false")

    version = EncoderVersion.objects.get(name="cenet-xception")
    reloaded = CENetXceptionEncoder.load(version.checkpoint_path)
    assert version.dim == reloaded.dim == 4 and reloaded.reducer.normalize_parts is False
    assert reloaded.embed(tiny_data()[0].images[:2]).shape == (2, 4)


def test_embedding_module_for_heatmaps_reproduces_embed(fitted):
    result, _, _ = fitted
    rng = np.random.default_rng(1)
    images = [(rng.random((64, 64)) * 255).astype(np.uint8) for _ in range(2)]  # already at the encoder's size

    pixels = torch.from_numpy(np.stack(images)[:, None] / 255.0).float()  # (2, 1, 64, 64) in [0, 1]

    with torch.no_grad():
        from_module = result.encoder.embedding_module().eval()(pixels)

    np.testing.assert_allclose(from_module.numpy(), result.encoder.embed(images), rtol=1e-3, atol=1e-4)



def test_validation_p10_and_map_leave_the_querys_own_patient_out():
    from embeddings.training_cenet import SELECTION_METRIC, precision_at_k, score_maps

    # COVID patients p and q have two near-identical slices each; each lies closer to a NonCOVID image
    # (n, m) than to the other COVID patient. Another slice of one's own patient is no retrieval.
    vectors = np.array([[0.0, 0.0], [0.0, 0.01], [0.5, 0.0], [5.0, 0.0], [5.0, 0.01], [5.5, 0.0]])
    labels = ["COVID", "COVID", "NonCOVID", "COVID", "COVID", "NonCOVID"]
    groups = ["p", "p", "n", "q", "q", "m"]

    assert precision_at_k(vectors, labels, k=1) == pytest.approx(4 / 6)  # the own-slice copies count
    assert precision_at_k(vectors, labels, k=1, groups=groups) == 0.0
    score = score_maps(MapReducer("pool", 2, normalize_parts=False), [vectors[:, :, None, None]], labels,
                       [vectors[:, :, None, None]], labels, groups)
    assert score[SELECTION_METRIC] == precision_at_k(vectors, labels, groups=groups) != precision_at_k(vectors, labels)
    assert score["validation_map"] < score_maps(MapReducer("pool", 2, normalize_parts=False), [vectors[:, :, None, None]],
                                                labels, [vectors[:, :, None, None]], labels)["validation_map"]
