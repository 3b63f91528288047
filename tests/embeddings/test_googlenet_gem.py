"""GoogLeNet + GeM + FC-BN-PReLU with ArcFace: shapes, pooling, loss, learning, checkpoint round trip."""
import numpy as np
import pytest
import torch

from embeddings.encoders.base import TrainingOptions
from embeddings.encoders.googlenet_gem import ArcFaceHead, GeM, GoogLeNetGeM, GoogLeNetGeMEncoder
from embeddings.encoders.registry import get_encoder_class
from tests.embeddings.conftest import two_class_data, two_class_rows


@pytest.fixture(scope="module")
def fitted():
    torch.set_num_threads(1)
    options = TrainingOptions(epochs=4, img_size=32, batch_size=6, learning_rate=3e-3,
                              extra={"embedding_dim": 64, "arcface_scale": 16.0})
    return GoogLeNetGeMEncoder.fit(two_class_data(12, 0), two_class_data(6, 1), options)


def test_registry_resolves_googlenet_gem_arcface():
    assert get_encoder_class("googlenet-gem-arcface") is GoogLeNetGeMEncoder


def test_gem_with_p3_is_the_cube_root_of_the_mean_cube():
    features = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])  # (1, 1, 2, 2)

    pooled = GeM(3.0)(features)

    assert pooled.shape == (1, 1, 1, 1)
    assert pooled.item() == pytest.approx(((1 + 8 + 27 + 64) / 4) ** (1 / 3), rel=1e-5)


def test_network_maps_a_grayscale_batch_to_the_embedding_dim():
    network = GoogLeNetGeM(embedding_dim=128).eval()

    with torch.inference_mode():
        output = network(torch.rand(2, 1, 64, 64))

    assert output.shape == (2, 128)
    assert isinstance(network.trunk.avgpool, GeM)


def test_embed_returns_unit_length_float32_vectors():
    encoder = GoogLeNetGeMEncoder(embedding_dim=64, img_size=32)

    vectors = encoder.embed([np.zeros((40, 30), np.uint8), np.full((32, 32), 90, np.uint8), np.eye(20, dtype=np.uint8)])

    assert vectors.shape == (3, 64) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(3), abs=1e-5)


@pytest.mark.parametrize("dim", [32, 300])
def test_embedding_dims_outside_the_paper_grid_are_refused(dim):
    with pytest.raises(ValueError, match="embedding_dim"):
        GoogLeNetGeMEncoder(embedding_dim=dim)


def test_arcface_loss_is_lower_for_an_embedding_on_its_class_centre():
    head = ArcFaceHead(4, 2, scale=16.0, margin_degrees=28.6)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    targets = torch.tensor([0])

    on_centre = head(torch.tensor([[1.0, 0, 0, 0]]), targets)
    on_other = head(torch.tensor([[0, 1.0, 0, 0]]), targets)

    assert on_centre < on_other


def test_arcface_margin_penalises_the_true_class():
    embedding, targets = torch.tensor([[1.0, 0.2, 0, 0]]), torch.tensor([0])
    no_margin = ArcFaceHead(4, 2, scale=16.0, margin_degrees=0.0)
    margin = ArcFaceHead(4, 2, scale=16.0, margin_degrees=28.6)
    margin.load_state_dict(no_margin.state_dict())

    assert margin(embedding, targets) > no_margin(embedding, targets)


def test_fit_lowers_the_arcface_loss(fitted):
    losses = [entry["loss"] for entry in fitted.history]

    assert losses[-1] < losses[0]
    assert fitted.encoder.classes == ["square", "stripes"]


def test_checkpoint_round_trip_gives_identical_embeddings(fitted, tmp_path):
    images = [row["pixels"] for row in two_class_rows(5, seed=9)]

    fitted.encoder.save(tmp_path / "v1")
    loaded = GoogLeNetGeMEncoder.load(tmp_path / "v1")

    assert np.array_equal(loaded.embed(images), fitted.encoder.embed(images))
    assert loaded.dim == 64 and loaded.version == "v1"


def test_googlenet_offers_its_network_for_similarity_heatmaps():
    from embeddings.heatmaps import similarity_heatmaps

    encoder = GoogLeNetGeMEncoder(embedding_dim=64, img_size=64)
    query, result = torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64)

    maps = similarity_heatmaps(encoder.embedding_module(), query, result)

    assert maps.query.shape == (64, 64) and maps.result.shape == (64, 64)


def test_softmax_weight_adds_a_classifier_cross_entropy_to_the_arcface_loss():
    from embeddings import training
    from embeddings.encoders.googlenet_gem import _loop_parts

    torch.manual_seed(0)
    data = two_class_data(8, 0)
    classes, targets = training.class_indices(data.labels)
    encoder = GoogLeNetGeMEncoder(embedding_dim=64, img_size=32, classes=classes)
    head = ArcFaceHead(64, len(classes), scale=16.0, margin_degrees=28.6)
    batch = np.arange(6)

    def first_loss(extra: dict) -> tuple[float, torch.nn.Module]:
        options = TrainingOptions(epochs=1, img_size=32, batch_size=6, extra=extra)
        parts = _loop_parts(encoder, head, data, data, targets, options, torch.device("cpu"))
        parts.model.train()
        return float(parts.train_step(batch, torch.Generator().manual_seed(0)).detach()), parts.model

    arcface_only, plain_model = first_loss({})
    combined, combined_model = first_loss({"softmax_weight": 1.0})

    assert "classifier" not in plain_model and "classifier" in combined_model
    assert combined > arcface_only + 1e-3  # the classifier's cross-entropy is positive
