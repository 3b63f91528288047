"""GoogLeNet + GeM + FC-BN-PReLU with ArcFace: shapes, pooling, loss, learning, checkpoint round trip."""
import numpy as np
import pytest
import torch

from embeddings.encoders.base import TrainingOptions
from embeddings.encoders.googlenet_gem import ArcFaceHead, GeM, GoogLeNetGeM, GoogLeNetGeMEncoder, MemberEnsemble
from embeddings.encoders.registry import get_encoder_class
from embeddings.errors import TrainingError
from embeddings.pixels import crop_to_foreground
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
    from embeddings.encoders.googlenet_gem import MemberData, _loop_parts

    torch.manual_seed(0)
    data = two_class_data(8, 0)
    classes, targets = training.class_indices(data.labels)
    encoder = GoogLeNetGeMEncoder(embedding_dim=64, img_size=32, classes=classes)
    head = ArcFaceHead(64, len(classes), scale=16.0, margin_degrees=28.6)
    batch = np.arange(6)

    def first_loss(extra: dict) -> tuple[float, torch.nn.Module]:
        options = TrainingOptions(epochs=1, img_size=32, batch_size=6, extra=extra)
        pixels = encoder.network_pixels(data.images)
        member_data = MemberData(pixels=pixels, targets=targets, validation_pixels=pixels,
                                 validation_labels=data.labels, validation_groups=data.groups)
        parts = _loop_parts(encoder.network, head, member_data, options, torch.device("cpu"))
        parts.model.train()
        return float(parts.train_step(batch, torch.Generator().manual_seed(0)).detach()), parts.model

    arcface_only, plain_model = first_loss({})
    combined, combined_model = first_loss({"softmax_weight": 1.0})

    assert "classifier" not in plain_model and "classifier" in combined_model
    assert combined > arcface_only + 1e-3  # the classifier's cross-entropy is positive


TINY = dict(epochs=3, img_size=32, batch_size=6, learning_rate=3e-3)


@pytest.fixture(scope="module")
def two_members(tmp_path_factory):
    options = TrainingOptions(**TINY, extra={"embedding_dim": 64, "arcface_scale": 16.0, "members": 2},
                              work_dir=tmp_path_factory.mktemp("ensemble") / "work")
    return GoogLeNetGeMEncoder.fit(two_class_data(12, 0), two_class_data(6, 1), options)


def test_an_ensemble_concatenates_its_members_into_one_unit_vector(two_members):
    encoder = two_members.encoder
    images = [row["pixels"] for row in two_class_rows(4, seed=5)]

    vectors = encoder.embed(images)

    assert isinstance(encoder.network, MemberEnsemble) and len(encoder.network.members) == 2
    assert encoder.dim == 128 and vectors.shape == (4, 128)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(4), abs=1e-5)
    halves = np.linalg.norm(vectors[:, :64], axis=1), np.linalg.norm(vectors[:, 64:], axis=1)
    assert halves[0] == pytest.approx(np.full(4, 2 ** -0.5), abs=1e-5)  # each member weighs the same
    assert halves[1] == pytest.approx(np.full(4, 2 ** -0.5), abs=1e-5)


def test_ensemble_member_one_is_the_single_network_of_the_same_seed(two_members):
    single = GoogLeNetGeMEncoder.fit(two_class_data(12, 0), two_class_data(6, 1),
                                     TrainingOptions(**TINY, extra={"embedding_dim": 64, "arcface_scale": 16.0}))
    first, second = two_members.encoder.network.members

    for key, value in single.encoder.network.state_dict().items():
        assert torch.equal(first.state_dict()[key], value), key
    assert not torch.equal(second.head[0].weight, first.head[0].weight)  # member 2 has its own seed


def test_ensemble_history_names_the_member_of_each_epoch(two_members):
    assert [entry["member"] for entry in two_members.history] == [1, 1, 1, 2, 2, 2]
    assert 0.0 <= two_members.validation_metric <= 1.0


def test_ensemble_checkpoint_round_trip_gives_identical_embeddings(two_members, tmp_path):
    images = [row["pixels"] for row in two_class_rows(5, seed=9)]

    two_members.encoder.save(tmp_path / "v2")
    loaded = GoogLeNetGeMEncoder.load(tmp_path / "v2")

    assert loaded.members == 2 and loaded.dim == 128
    assert np.array_equal(loaded.embed(images), two_members.encoder.embed(images))


def test_an_interrupted_ensemble_resumes_in_the_member_where_it_stopped(two_members, tmp_path):
    data = two_class_data(12, 0), two_class_data(6, 1)
    options = TrainingOptions(**TINY, extra={"embedding_dim": 64, "arcface_scale": 16.0, "members": 2},
                              work_dir=tmp_path / "work")
    calls = []

    def stop_in_member_two(epoch, metrics):
        calls.append(epoch)
        if epoch == TINY["epochs"]:  # the first epoch of member 2
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        GoogLeNetGeMEncoder.fit(*data, options, progress=stop_in_member_two)
    resumed = GoogLeNetGeMEncoder.fit(*data, options, 
                                      progress=lambda epoch, _: calls.append(epoch))

    assert calls == [0, 1, 2, 3, 4, 5]  # member 1 is not trained again; member 2 goes on from its epoch 2
    images = [row["pixels"] for row in two_class_rows(4, seed=3)]
    assert np.array_equal(resumed.encoder.embed(images), two_members.encoder.embed(images))


def test_members_below_one_are_refused_before_training():
    options = TrainingOptions(**TINY, extra={"members": 0})

    with pytest.raises(TrainingError, match="members"):
        GoogLeNetGeMEncoder.fit(two_class_data(12, 0), two_class_data(6, 1), options)


def test_an_ensemble_offers_its_network_for_similarity_heatmaps():
    from embeddings.heatmaps import similarity_heatmaps

    encoder = GoogLeNetGeMEncoder(embedding_dim=64, img_size=64, members=2)

    maps = similarity_heatmaps(encoder.embedding_module(), torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64))

    assert maps.query.shape == (64, 64)


def test_a_cropping_encoder_gives_its_network_the_cropped_content_and_keeps_cropping_after_reload(tmp_path):
    content = np.random.default_rng(0).integers(60, 255, (40, 40), dtype=np.uint8)
    framed = np.zeros((100, 100), np.uint8)
    framed[30:70, 20:60] = content
    plain = GoogLeNetGeMEncoder(embedding_dim=64, img_size=32)

    GoogLeNetGeMEncoder(embedding_dim=64, img_size=32, crop_foreground=True).save(tmp_path / "v1")
    cropping = GoogLeNetGeMEncoder.load(tmp_path / "v1")

    assert cropping.crop_foreground is True
    assert np.array_equal(cropping.network_pixels([framed]), plain.network_pixels([crop_to_foreground(framed)]))
    assert not np.array_equal(cropping.network_pixels([framed]), plain.network_pixels([framed]))
