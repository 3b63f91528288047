"""U-Net and the unet-me / unet-ml ablations."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from embeddings.encoders.base import TrainingData, TrainingOptions
from embeddings.encoders.unet import UNet, UNetMEEncoder, UNetMLEncoder
from embeddings.training_cenet import contrastive_loss


def tiny_data() -> tuple[TrainingData, TrainingData]:
    rng = np.random.default_rng(0)
    images = [(rng.random((64, 64)) * 255).astype(np.uint8) for _ in range(8)]
    return (TrainingData(images=images[:6], labels=["COVID", "NonCOVID"] * 3, groups=list("abcdef")),
            TrainingData(images=images[6:], labels=["COVID", "NonCOVID"], groups=list("gh")))


def test_unet_segments_at_input_size_and_pools_its_last_layer_to_the_rmp_grid():
    network = UNet(size=64, base_width=4).eval()
    pixels = torch.randn(2, 1, 64, 64)

    with torch.no_grad():
        logits, embedding_map = network(pixels), network.embedding_map(pixels)

    assert logits.shape == (2, 1, 64, 64)
    assert embedding_map.shape == (2, 4, 2, 2)


def test_contrastive_loss_is_zero_for_tight_classes_further_apart_than_the_margin():
    embeddings = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])

    assert float(contrastive_loss(embeddings, labels, margin=1.0)) == 0.0
    assert float(contrastive_loss(embeddings, torch.tensor([0, 1, 0, 1]), margin=1.0)) > 0.0


@pytest.mark.parametrize("encoder_class", [UNetMEEncoder, UNetMLEncoder])
def test_second_stage_loss_goes_down_over_a_few_steps(encoder_class):
    torch.manual_seed(0)
    encoder = encoder_class(size=64, base_width=4)
    pixels, targets = torch.randn(6, 1, 64, 64), torch.tensor([0, 1, 0, 1, 0, 1])
    optimizer = torch.optim.Adam(encoder.networks["unet"].parameters(), lr=1e-2)

    losses = []
    for _ in range(6):
        encoder.networks["unet"].train()
        loss = encoder.second_stage_loss(pixels, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    assert losses[-1] < losses[0]


@pytest.mark.parametrize("encoder_class, second_stage", [(UNetMEEncoder, "manifold_embedding"),
                                                         (UNetMLEncoder, "classification")])
def test_fit_trains_segmentation_then_the_second_loss_for_as_many_epochs(encoder_class, second_stage):
    train, validation = tiny_data()
    options = TrainingOptions(epochs=2, img_size=64, batch_size=3, extra={"base_width": 4, "pca_dim": 3})

    result = encoder_class.fit(train, validation, options)

    assert [entry["stage"] for entry in result.history] == ["segmentation"] * 2 + [second_stage] * 2
    assert result.encoder.embed(train.images[:2]).shape == (2, 3)
