"""Xception: flows, the RMP-input variant and the `xception` (images) encoder."""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from embeddings.encoders.base import TrainingData, TrainingOptions
from embeddings.encoders.xception import Xception, XceptionBlock, XceptionConfig, XceptionEncoder

TINY_FLOWS = {"entry_widths": (4, 4, 8, 8, 8), "exit_widths": (8, 8, 8), "middle_repeats": 1}


def test_strided_block_halves_the_side_and_matches_the_shortcut():
    block = XceptionBlock(4, 8, 2, stride=2)

    out = block(torch.randn(2, 4, 16, 16))

    assert out.shape == (2, 8, 8, 8)


def test_xception_on_images_gives_a_last_map_at_one_32nd_of_the_side():
    network = Xception(XceptionConfig(**TINY_FLOWS)).eval()

    with torch.no_grad():
        last_map = network.last_activation_map(torch.randn(2, 1, 64, 64))

    assert last_map.shape == (2, 8, 2, 2)


def test_xception_without_downsampling_keeps_the_rmp_grid():
    config = XceptionConfig(in_channels=12, entry_widths=(4, 4, 8, 8, 8), exit_widths=(8, 8, 12),
                            middle_repeats=1, downsample=False)
    network = Xception(config).eval()

    with torch.no_grad():
        last_map = network.last_activation_map(torch.randn(2, 12, 4, 4))  # an RMP encoding of 128 px images

    assert last_map.shape == (2, 12, 4, 4)


def test_middle_flow_repeat_count_is_configurable():
    assert len(Xception(XceptionConfig(**TINY_FLOWS)).middle) == 1
    assert len(Xception(XceptionConfig()).middle) == 8


def test_classification_loss_goes_down_over_a_few_steps():
    torch.manual_seed(0)
    network = Xception(XceptionConfig(**TINY_FLOWS))
    pixels, targets = torch.randn(6, 1, 64, 64), torch.tensor([0, 1, 0, 1, 0, 1])
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)

    losses = []
    for _ in range(6):
        loss = F.cross_entropy(network(pixels), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    assert losses[-1] < losses[0]


def test_xception_encoder_fit_classifies_and_embeds_to_its_dim():
    rng = np.random.default_rng(0)
    images = [(rng.random((60, 60)) * 255).astype(np.uint8) for _ in range(8)]
    train = TrainingData(images=images[:6], labels=["COVID", "NonCOVID"] * 3, groups=list("abcdef"))
    validation = TrainingData(images=images[6:], labels=["COVID", "NonCOVID"], groups=list("gh"))
    options = TrainingOptions(epochs=2, img_size=64, batch_size=3, extra={**TINY_FLOWS, "reduction": "none"})

    result = XceptionEncoder.fit(train, validation, options)

    assert [entry["stage"] for entry in result.history] == ["classification"] * 2
    assert result.encoder.embed(images[:3]).shape == (3, 8 * 2 * 2) == (3, result.encoder.dim)
