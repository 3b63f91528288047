"""U-Net (Ronneberger et al., 2015) and the paper's U-Net ablations after Baur et al. (2017):
`unet-me` (segmentation, then the manifold-embedding loss) and `unet-ml` (segmentation, then
classification), trained as section 2.2.5 says: segmentation epochs, then as many again with the
second loss alone (5 + 5 in the paper; options.epochs each, or options.extra
"segmentation_epochs" / "second_stage_epochs").

Choices where the paper is vague:
- "The last layer" is the last decoder block's feature map (before the 1x1 mask conv), average
  pooled to an (S/32 x S/32) grid: base_width x (S/32)^2 values (256 at S = 128, base 16), the
  grid of CE-Net's RMP encoding. The manifold-embedding loss and the classification head act
  on exactly that flattened vector, so the trained space is the searched one.
- Manifold embedding: a contrastive loss over all pairs in a batch, neighbours being images of
  the same diagnosis (Baur et al. embed with neighbour graphs; diagnosis is the label we have).
- base_width 16 (the original's 64 costs 16x the compute, too much for this CPU); BatchNorm
  after each conv; padded convs so the mask has the image's size.
- Masks: the caller's, else derived by embeddings.masks (`mask_method`).
"""
from __future__ import annotations

from abc import abstractmethod

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from embeddings.encoders.base import FitResult, TrainingData, TrainingOptions
from embeddings.encoders.cenet_common import MapEncoder
from embeddings.encoders.registry import register_encoder
from embeddings.training_cenet import (Stage, class_names, contrastive_loss, finish_fit, label_indices,
                                       prepare, retrieval_score, run_stage, segmentation_stage, start_fit)

UNET_DEPTH = 4  # poolings, as in Ronneberger et al.


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """(B, 1, S, S) -> mask logits (B, 1, S, S); `embedding` gives the pooled last layer."""

    def __init__(self, *, size: int, base_width: int = 16, num_classes: int = 2):
        super().__init__()
        widths = [base_width * 2 ** level for level in range(UNET_DEPTH + 1)]
        self.down = nn.ModuleList([double_conv(1, widths[0])] +
                                  [double_conv(widths[i], widths[i + 1]) for i in range(UNET_DEPTH)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                                 for i in reversed(range(UNET_DEPTH))])
        self.merge = nn.ModuleList([double_conv(2 * widths[i], widths[i]) for i in reversed(range(UNET_DEPTH))])
        self.mask_head = nn.Conv2d(widths[0], 1, 1)
        self.class_head = nn.Linear(base_width * (size // 32) ** 2, num_classes)

    def last_layer(self, x: Tensor) -> Tensor:  # (B, 1, S, S) -> (B, base_width, S, S)
        skips = []
        for level, block in enumerate(self.down):
            x = block(x if level == 0 else F.max_pool2d(x, 2))  # (B, base * 2^level, S / 2^level, ...)
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
            x = merge(torch.cat([up(x), skip], dim=1))  # doubles the side, halves the channels
        return x

    def embedding_map(self, x: Tensor) -> Tensor:  # (B, 1, S, S) -> (B, base_width, S/32, S/32)
        side = x.shape[-1] // 32
        return F.adaptive_avg_pool2d(self.last_layer(x), side)

    def embedding(self, x: Tensor) -> Tensor:  # -> (B, base_width * (S/32)^2)
        return self.embedding_map(x).flatten(1)

    def classify(self, x: Tensor) -> Tensor:  # -> (B, num_classes)
        return self.class_head(self.embedding(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.mask_head(self.last_layer(x))


class UNetEncoder(MapEncoder):
    """Base of unet-me and unet-ml: U-Net segmentation, then `second_stage_loss`."""

    option_keys = ("segmentation_epochs", "second_stage_epochs")

    second_stage = ""

    def __init__(self, *, size: int = 128, reduction: str = "pca", pca_dim: int = 128,
                 normalize_parts: bool = True, base_width: int = 16,
                 mask_method: str = "lung", classes: tuple[str, ...] = ("COVID", "NonCOVID")):
        super().__init__(size=size, reduction=reduction, pca_dim=pca_dim, normalize_parts=normalize_parts,
                         base_width=base_width, mask_method=mask_method, classes=tuple(classes))

    def build_networks(self, *, base_width, mask_method, classes) -> dict[str, nn.Module]:
        return {"unet": UNet(size=self.input_spec.size, base_width=base_width, num_classes=len(classes))}

    def activation_maps(self, pixels: Tensor) -> list[Tensor]:
        return [self.networks["unet"].embedding_map(pixels)]  # [(B, base_width, S/32, S/32)]

    @abstractmethod
    def second_stage_loss(self, pixels: Tensor, targets: Tensor) -> Tensor:
        """Loss of the second stage on (B, 1, S, S) images and (B,) class indices."""

    @classmethod
    def fit(cls, train: TrainingData, validation: TrainingData, options: TrainingOptions,
            *, progress=None) -> FitResult:
        encoder, generator, device = start_fit(cls, options, classes=class_names(train))
        size, method = encoder.input_spec.size, encoder.architecture["mask_method"]
        train_data = prepare(train, size, mask_method=method)
        validation_data = prepare(validation, size, mask_method=method)
        unet = encoder.networks["unet"]
        segmentation = segmentation_stage(unet, train_data, validation_data, device=device,
                                          epochs=options.setting("segmentation_epochs", options.epochs))
        history = run_stage(segmentation, options, generator=generator, device=device, progress=progress)
        second = Stage(cls.second_stage, [unet],
                       [train_data.pixels, label_indices(train.labels, encoder.architecture["classes"])],
                       lambda batch: encoder.second_stage_loss(*batch),
                       lambda: retrieval_score(encoder, train_data, validation_data),
                       options.setting("second_stage_epochs", options.epochs), keep_best=True)
        history += run_stage(second, options, generator=generator, device=device, progress=progress,
                             epoch_offset=len(history))
        return finish_fit(encoder, train_data, validation_data, history)


@register_encoder("unet-me")
class UNetMEEncoder(UNetEncoder):
    """U-Net-ME: segmentation, then the manifold-embedding (contrastive) loss on the last layer."""

    second_stage = "manifold_embedding"

    def second_stage_loss(self, pixels: Tensor, targets: Tensor) -> Tensor:
        return contrastive_loss(self.networks["unet"].embedding(pixels), targets)


@register_encoder("unet-ml")
class UNetMLEncoder(UNetEncoder):
    """U-Net-ML: segmentation, then cross-entropy of a linear head on the last layer."""

    second_stage = "classification"

    def second_stage_loss(self, pixels: Tensor, targets: Tensor) -> Tensor:
        return F.cross_entropy(self.networks["unet"].classify(pixels), targets)
