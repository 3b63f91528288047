"""CE-Net (Gu et al., IEEE TMI 2019): ResNet-34 encoder, DAC and RMP blocks, decoder; the `cenet` encoder.

Follows the authors' reference implementation (CE_Net_ with DACblock / SPPblock) with two
documented changes: one input channel (grayscale, and no ImageNet weights can be fetched here,
so weights start random where the paper starts from ImageNet) and configurable widths/depths so
that tests can build tiny networks. Default widths (64, 128, 256, 512) and depths (3, 4, 6, 3)
are ResNet-34's, so the RMP encoding has 512 + 4 = 516 channels at 1/32 of the input side:
516 x 16 x 16 = 132,096 values at 512 px, the paper's "384 x 344" encoding (same count), and
516 x 4 x 4 = 8,256 at the default 128 px, where RMP's 5 and 6 px pools are clamped to the 4 x 4 map.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchvision.models.resnet import BasicBlock

from embeddings.encoders.base import FitResult, TrainingData, TrainingOptions
from embeddings.encoders.cenet_common import MapEncoder
from embeddings.encoders.registry import register_encoder
from embeddings.training_cenet import finish_fit, prepare, run_stage, segmentation_stage, start_fit

RESNET34_WIDTHS = (64, 128, 256, 512)
RESNET34_DEPTHS = (3, 4, 6, 3)
RMP_KERNELS = (2, 3, 5, 6)


class DACBlock(nn.Module):
    """Dense atrous convolution: four cascaded branches (receptive fields 3, 7, 9, 19) added to x."""

    def __init__(self, channels: int):
        super().__init__()
        self.dilate1 = nn.Conv2d(channels, channels, 3, dilation=1, padding=1)
        self.dilate3 = nn.Conv2d(channels, channels, 3, dilation=3, padding=3)
        self.dilate5 = nn.Conv2d(channels, channels, 3, dilation=5, padding=5)
        self.mix = nn.Conv2d(channels, channels, 1)  # shared 1x1, as in the reference code

    def forward(self, x: Tensor) -> Tensor:  # (B, C, h, w) -> (B, C, h, w)
        d1 = self.dilate1(x)
        d31 = self.dilate3(d1)
        branch1 = F.relu(d1)
        branch2 = F.relu(self.mix(self.dilate3(x)))
        branch3 = F.relu(self.mix(d31))
        branch4 = F.relu(self.mix(self.dilate5(d31)))
        return x + branch1 + branch2 + branch3 + branch4


class RMPBlock(nn.Module):
    """Residual multi-kernel pooling: max-pools of 2, 3, 5, 6 px, each squeezed to one channel by
    a shared 1x1 conv, upsampled back and concatenated with the input.

    Pool kernels larger than the map (inputs under 192 px give maps under 6 x 6) are clamped to
    the map size, i.e. they become global max pools; the reference code would fail there.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.squeeze = nn.Conv2d(channels, 1, 1)
        self.out_channels = channels + len(RMP_KERNELS)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, h, w) -> (B, C + 4, h, w)
        height, width = x.shape[2:]
        levels = []
        for kernel in RMP_KERNELS:
            size = (min(kernel, height), min(kernel, width))
            pooled = self.squeeze(F.max_pool2d(x, kernel_size=size, stride=size))  # (B, 1, h/k, w/k)
            levels.append(F.interpolate(pooled, size=(height, width), mode="bilinear", align_corners=False))
        return torch.cat([*levels, x], dim=1)


class DecoderBlock(nn.Module):
    """1x1 squeeze to C/4, stride-2 transposed conv, 1x1 expand (each with BN + ReLU)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        middle = max(in_channels // 4, 1)
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, middle, 1), nn.BatchNorm2d(middle), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(middle, middle, 3, stride=2, padding=1, output_padding=1),
            nn.BatchNorm2d(middle), nn.ReLU(inplace=True),
            nn.Conv2d(middle, out_channels, 1), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
        )

    def forward(self, x: Tensor) -> Tensor:  # (B, Cin, h, w) -> (B, Cout, 2h, 2w)
        return self.layers(x)


def resnet_stage(in_channels: int, out_channels: int, depth: int, stride: int) -> nn.Sequential:
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                   nn.BatchNorm2d(out_channels))
    blocks = [BasicBlock(in_channels, out_channels, stride=stride, downsample=downsample)]
    blocks += [BasicBlock(out_channels, out_channels) for _ in range(depth - 1)]
    return nn.Sequential(*blocks)


class CENet(nn.Module):
    """Grayscale (B, 1, S, S) -> mask logits (B, 1, S, S); `encode` gives the RMP encoding.

    S must be a multiple of 32.
    """

    def __init__(self, *, widths: tuple[int, ...] = RESNET34_WIDTHS, depths: tuple[int, ...] = RESNET34_DEPTHS):
        super().__init__()
        w1, w2, w3, w4 = widths
        self.stem = nn.Sequential(nn.Conv2d(1, w1, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(w1),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1))
        self.encoder1 = resnet_stage(w1, w1, depths[0], 1)
        self.encoder2 = resnet_stage(w1, w2, depths[1], 2)
        self.encoder3 = resnet_stage(w2, w3, depths[2], 2)
        self.encoder4 = resnet_stage(w3, w4, depths[3], 2)
        self.dac = DACBlock(w4)
        self.rmp = RMPBlock(w4)
        self.decoder4 = DecoderBlock(self.rmp.out_channels, w3)
        self.decoder3 = DecoderBlock(w3, w2)
        self.decoder2 = DecoderBlock(w2, w1)
        self.decoder1 = DecoderBlock(w1, w1)
        head = max(w1 // 2, 1)
        self.head = nn.Sequential(nn.ConvTranspose2d(w1, head, 4, stride=2, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(head, head, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(head, 1, 3, padding=1))

    @property
    def rmp_channels(self) -> int:
        return self.rmp.out_channels

    def encode(self, x: Tensor) -> Tensor:  # (B, 1, S, S) -> (B, C4 + 4, S/32, S/32)
        return self._encoder_features(x)[-1]

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, S, S) -> (B, 1, S, S) logits
        e1, e2, e3, rmp = self._encoder_features(x)
        d4 = self.decoder4(rmp) + e3  # (B, C3, S/16, S/16)
        d3 = self.decoder3(d4) + e2  # (B, C2, S/8, S/8)
        d2 = self.decoder2(d3) + e1  # (B, C1, S/4, S/4)
        d1 = self.decoder1(d2)  # (B, C1, S/2, S/2)
        return self.head(d1)

    def _encoder_features(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        e1 = self.encoder1(self.stem(x))  # (B, C1, S/4, S/4)
        e2 = self.encoder2(e1)  # (B, C2, S/8, S/8)
        e3 = self.encoder3(e2)  # (B, C3, S/16, S/16)
        e4 = self.encoder4(e3)  # (B, C4, S/32, S/32)
        return e1, e2, e3, self.rmp(self.dac(e4))  # RMP: (B, C4 + 4, S/32, S/32)


def rmp_encoding_size(size: int, widths: tuple[int, ...] = RESNET34_WIDTHS) -> int:
    """Values in the flattened RMP encoding for a square input of side `size`."""
    side = size // 32
    return (widths[-1] + len(RMP_KERNELS)) * side * side


@register_encoder("cenet")
class CENetEncoder(MapEncoder):
    """CE-Net alone (the paper's "Ce-Net" ablation): embedding = the RMP encoding.

    Trained for segmentation with Dice + BCE for options.extra["segmentation_epochs"] epochs
    (default options.epochs). When the caller has no masks, they are derived by
    embeddings.masks (`mask_method`: lung fields for chest CT, brain for MRI); on covid_ct these
    heuristic lung-field masks are the only segmentation targets available.
    """

    option_keys = ("segmentation_epochs",)

    def __init__(self, *, size: int = 128, reduction: str = "pca", pca_dim: int = 128,
                 normalize_parts: bool = True,
                 widths: tuple[int, ...] = RESNET34_WIDTHS, depths: tuple[int, ...] = RESNET34_DEPTHS,
                 mask_method: str = "lung"):
        super().__init__(size=size, reduction=reduction, pca_dim=pca_dim, normalize_parts=normalize_parts,
                         widths=tuple(widths), depths=tuple(depths), mask_method=mask_method)

    def build_networks(self, *, widths, depths, mask_method) -> dict[str, nn.Module]:
        return {"cenet": CENet(widths=widths, depths=depths)}

    def activation_maps(self, pixels: Tensor) -> list[Tensor]:
        return [self.networks["cenet"].encode(pixels)]  # [(B, C4 + 4, S/32, S/32)]

    @classmethod
    def fit(cls, train: TrainingData, validation: TrainingData, options: TrainingOptions,
            *, progress=None) -> FitResult:
        encoder, generator, device = start_fit(cls, options)
        train_data, validation_data, history = train_cenet_segmentation(
            encoder, train, validation, options, generator=generator, device=device, progress=progress)
        return finish_fit(encoder, train_data, validation_data, history)


def train_cenet_segmentation(encoder: MapEncoder, train: TrainingData, validation: TrainingData,
                             options: TrainingOptions, *, generator, device, progress=None):
    """Stage 1 of every CE-Net encoder; -> (prepared train, prepared validation, history)."""
    size, method = encoder.input_spec.size, encoder.architecture["mask_method"]
    train_data = prepare(train, size, mask_method=method)
    validation_data = prepare(validation, size, mask_method=method)
    epochs = options.setting("segmentation_epochs", options.epochs)
    stage = segmentation_stage(encoder.networks["cenet"], train_data, validation_data, epochs=epochs, device=device)
    history = run_stage(stage, options, generator=generator, device=device, progress=progress)
    return train_data, validation_data, history
