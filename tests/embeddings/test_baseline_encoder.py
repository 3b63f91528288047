"""The training-free baseline descriptor."""
import numpy as np

from embeddings.encoders import build_encoder


def test_baseline_embeds_a_batch_to_unit_vectors_of_its_dim(gray_image):
    encoder = build_encoder("baseline")

    vectors = encoder.embed([gray_image, gray_image[::-1], np.zeros((50, 50), np.uint8)])

    assert vectors.shape == (3, encoder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-4)


def test_baseline_is_deterministic_and_size_independent(gray_image):
    encoder = build_encoder("baseline")
    from PIL import Image as PILImage

    larger = np.asarray(PILImage.fromarray(gray_image).resize((160, 128)))

    first, second, resized = encoder.embed([gray_image, gray_image, larger])

    assert np.array_equal(first, second)
    assert np.linalg.norm(first - resized) < 0.5


def test_baseline_tells_different_structures_apart():
    encoder = build_encoder("baseline")
    stripes = np.tile((np.arange(64) % 8 < 4).astype(np.uint8) * 255, (64, 1))
    disc = ((np.indices((64, 64)) - 32) ** 2).sum(0) < 400
    disc = disc.astype(np.uint8) * 255

    vertical, horizontal, circle = encoder.embed([stripes, stripes.T.copy(), disc])

    assert np.linalg.norm(vertical - horizontal) > 0.3 and np.linalg.norm(vertical - circle) > 0.3
