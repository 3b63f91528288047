"""The CNN autoencoder encoder: shapes, learning, checkpoint round trip."""
import numpy as np
import pytest
import torch

from embeddings.encoders.base import TrainingOptions
from embeddings.encoders.cnn_autoencoder import CNNAutoencoderEncoder, ConvAutoencoder
from embeddings.encoders.registry import get_encoder_class
from tests.embeddings.conftest import two_class_data, two_class_rows


@pytest.fixture(scope="module")
def fitted():
    torch.set_num_threads(1)
    return CNNAutoencoderEncoder.fit(two_class_data(12, 0), two_class_data(6, 1), TrainingOptions(epochs=6, img_size=16, batch_size=4))


def test_registry_resolves_cnn_autoencoder():
    assert get_encoder_class("cnn-autoencoder") is CNNAutoencoderEncoder


def test_network_reconstructs_input_shape_through_a_small_latent():
    network = ConvAutoencoder(depth=4, latent_channels=16)
    images = torch.rand(3, 1, 64, 64)

    assert network.encoder(images).shape == (3, 16, 4, 4)
    assert network(images).shape == (3, 1, 64, 64)


def test_default_embedding_is_the_256_value_latent_of_a_64_pixel_image():
    encoder = CNNAutoencoderEncoder()

    vectors = encoder.embed([np.zeros((50, 70), np.uint8), np.full((64, 64), 200, np.uint8)])

    assert encoder.dim == 256
    assert vectors.shape == (2, 256) and vectors.dtype == np.float32


def test_embedding_dim_follows_size_depth_and_latent_channels():
    assert CNNAutoencoderEncoder(img_size=32, depth=3, latent_channels=8).dim == 8 * 4 * 4


def test_size_not_divisible_by_the_downsampling_is_refused():
    with pytest.raises(ValueError, match="divisible"):
        CNNAutoencoderEncoder(img_size=50)


def test_embedding_empty_list_gives_empty_matrix():
    assert CNNAutoencoderEncoder(img_size=16).embed([]).shape == (0, 16)


def test_fit_lowers_the_reconstruction_loss(fitted):
    losses = [entry["loss"] for entry in fitted.history]

    assert losses[-1] < losses[0]
    assert fitted.encoder.dim == 16  # 16 px, depth 4 -> 1x1x16 latent


def test_checkpoint_round_trip_gives_identical_embeddings(fitted, tmp_path):
    images = [row["pixels"] for row in two_class_rows(5, seed=9)]

    fitted.encoder.save(tmp_path / "v1")
    loaded = CNNAutoencoderEncoder.load(tmp_path / "v1")

    assert np.array_equal(loaded.embed(images), fitted.encoder.embed(images))
    assert loaded.version == "v1" and loaded.config() == fitted.encoder.config()


def test_default_training_adds_the_discriminative_loss_to_the_reconstruction():
    torch.set_num_threads(1)
    train, validation = two_class_data(12, 0), two_class_data(6, 1)
    options = lambda extra: TrainingOptions(epochs=6, img_size=16, batch_size=4, extra=extra)

    plain = CNNAutoencoderEncoder.fit(train, validation, options({"metric_weight": 0}))
    metric = CNNAutoencoderEncoder.fit(train, validation, options({}))

    assert metric.history[0]["loss"] > plain.history[0]["loss"]  # the same MSE plus a positive term
    assert metric.history[-1]["loss"] < metric.history[0]["loss"]


def test_the_heatmap_module_computes_the_embedding_and_explains_the_latent_maps(fitted):
    from embeddings.heatmaps import similarity_heatmaps

    images = [row for row in two_class_data(2, 5).images]
    pixels = torch.from_numpy(fitted.encoder.network_pixels(images)[:, None] / 255.0).float()  # (2, 1, 16, 16)

    with torch.no_grad():
        from_module = fitted.encoder.embedding_module()(pixels)
    maps = similarity_heatmaps(fitted.encoder.embedding_module(), pixels[:1], pixels[1:])

    np.testing.assert_allclose(from_module.numpy(), fitted.encoder.embed(images), rtol=1e-5, atol=1e-6)
    assert maps.query.shape == maps.result.shape == (16, 16) and -1.0 <= maps.similarity <= 1.0
