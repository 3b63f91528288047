"""CE-Net: DAC and RMP blocks, the network, the `cenet` encoder and its training stage."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from embeddings.encoders.base import TrainingData, TrainingOptions
from embeddings.encoders.cenet import CENet, CENetEncoder, DACBlock, RMPBlock, rmp_encoding_size
from embeddings.encoders.registry import get_encoder_class
from embeddings.evaluation import retrieval_map
from embeddings.training_cenet import dice_bce_loss

TINY_CENET = {"widths": (4, 8, 8, 8), "depths": (1, 1, 1, 1)}


def random_images(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.random((50 + 3 * i, 70)) * 255).astype(np.uint8) for i in range(count)]


def test_dac_block_keeps_the_shape_of_its_input():
    block = DACBlock(6)

    out = block(torch.randn(2, 6, 5, 7))

    assert out.shape == (2, 6, 5, 7)


def test_rmp_block_adds_one_channel_per_pool_kernel_and_keeps_the_map_size():
    block = RMPBlock(6)

    on_large_map = block(torch.randn(2, 6, 16, 16))  # 512 px input: every kernel fits
    on_small_map = block(torch.randn(2, 6, 4, 4))  # 128 px input: kernels 5 and 6 are clamped to 4

    assert on_large_map.shape == (2, 10, 16, 16)
    assert on_small_map.shape == (2, 10, 4, 4)


def test_rmp_block_passes_its_input_through_as_the_last_channels():
    block = RMPBlock(3)
    x = torch.randn(1, 3, 8, 8)

    out = block(x)

    assert torch.equal(out[:, 4:], x)


def test_cenet_segments_at_input_size_and_encodes_at_one_32nd():
    network = CENet(**TINY_CENET).eval()
    pixels = torch.randn(2, 1, 64, 64)

    with torch.no_grad():
        logits, encoding = network(pixels), network.encode(pixels)

    assert logits.shape == (2, 1, 64, 64)
    assert encoding.shape == (2, 8 + 4, 2, 2)


def test_rmp_encoding_has_the_papers_132096_values_at_512_px():
    assert rmp_encoding_size(512) == 516 * 16 * 16 == 132_096


def test_cenet_encoder_embeds_any_size_images_to_its_dim():
    encoder = CENetEncoder(size=64, reduction="none", **TINY_CENET)

    vectors = encoder.embed(random_images(3))

    assert vectors.shape == (3, encoder.dim) and encoder.dim == rmp_encoding_size(64, (4, 8, 8, 8)) == 48
    assert vectors.dtype == np.float32


def test_registry_resolves_the_cenet_family():
    names = ["cenet", "xception", "cenet-xception", "unet-me", "unet-ml"]

    classes = [get_encoder_class(name) for name in names]

    assert [cls.name for cls in classes] == names


def test_dice_bce_loss_goes_down_over_a_few_steps():
    torch.manual_seed(0)
    network = CENet(**TINY_CENET)
    pixels = torch.randn(4, 1, 64, 64)
    masks = (torch.rand(4, 1, 64, 64) > 0.6).float()
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)

    losses = []
    for _ in range(6):
        loss = dice_bce_loss(network(pixels), masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    assert losses[-1] < losses[0]


def test_cenet_fit_derives_masks_and_reports_segmentation_epochs():
    images = random_images(8)
    train = TrainingData(images=images[:6], labels=["COVID", "NonCOVID"] * 3, groups=list("abcdef"))
    validation = TrainingData(images=images[6:], labels=["COVID", "NonCOVID"], groups=list("gh"))
    options = TrainingOptions(epochs=2, img_size=64, batch_size=3, extra={**TINY_CENET, "pca_dim": 3})
    seen = []

    result = CENetEncoder.fit(train, validation, options, progress=lambda epoch, metrics: seen.append(epoch))

    assert seen == [1, 2]
    assert [entry["stage"] for entry in result.history] == ["segmentation"] * 2
    assert result.encoder.embed(images[:2]).shape == (2, 3)


def test_cenet_fit_reports_validation_map_of_the_returned_encoder():
    images = random_images(8)
    train = TrainingData(images=images[:6], labels=["COVID", "NonCOVID"] * 3, groups=list("abcdef"))
    validation = TrainingData(images=images[6:], labels=["COVID", "NonCOVID"], groups=list("gh"))
    options = TrainingOptions(epochs=1, img_size=64, batch_size=3, extra={**TINY_CENET, "pca_dim": 3})

    result = CENetEncoder.fit(train, validation, options)

    vectors = result.encoder.embed(validation.images)
    assert result.validation_metric == pytest.approx(retrieval_map(vectors, validation.labels))
