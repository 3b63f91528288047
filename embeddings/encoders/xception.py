"""Xception (Chollet, CVPR 2017): entry, middle and exit flows of depthwise-separable convolutions
with residual connections; the `xception` ablation encoder (Xception on raw images).

Layout follows the paper's figure 5 (and the widely used Cadene port): entry 32, 64 convs and
blocks of 128, 256, 728; `middle_repeats` (8 in the paper) residual blocks of three 728-wide
separable convs; exit block 728 -> 1024 then separable convs of 1536 and 2048.
Changes, all configurable: one input channel by default; `downsample=False` removes every
stride (for the RMP encoding, already at 1/32 of the image, see cenet_xception.py);
`normalize_input` scales each input to unit RMS (for RMP encodings); and the last
separable conv's width (`exit_widths[-1]`) can be set, e.g. to the RMP channel count so that the
last activation map has the RMP encoding's shape, as in the paper's ensemble.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import Tensor, nn

from embeddings.encoders.base import FitResult, TrainingData, TrainingOptions
from embeddings.encoders.cenet_common import MapEncoder
from embeddings.encoders.registry import register_encoder
from embeddings.training_cenet import (accuracy, class_names, classification_stage, finish_fit, label_indices,
                                       prepare, retrieval_score, run_in_batches, run_stage, start_fit)


@dataclass(frozen=True)
class XceptionConfig:
    in_channels: int = 1
    entry_widths: tuple[int, ...] = (32, 64, 128, 256, 728)  # two stem convs, three residual blocks
    exit_widths: tuple[int, ...] = (1024, 1536, 2048)  # exit block, then two separable convs
    middle_repeats: int = 8
    downsample: bool = True  # False keeps the input's spatial size through every flow
    normalize_input: bool = False  # divide each input by its RMS (RMP encodings vary 100x in scale)
    num_classes: int = 2

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "XceptionConfig":
        tuples = {key: tuple(value) for key, value in values.items() if isinstance(value, list)}
        return cls(**(values | tuples))


class SeparableConv(nn.Module):
    """3x3 depthwise conv then 1x1 pointwise conv, no bias (BN follows)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))


class XceptionBlock(nn.Module):
    """`repeats` x (ReLU, separable conv, BN), optional stride-2 max pool, plus a 1x1 shortcut."""

    def __init__(self, in_channels: int, out_channels: int, repeats: int, *, stride: int = 1,
                 start_with_relu: bool = True, grow_first: bool = True):
        super().__init__()
        widths = [in_channels] + [out_channels if grow_first else in_channels] * (repeats - 1) + [out_channels]
        layers: list[nn.Module] = []
        for index, (width_in, width_out) in enumerate(zip(widths[:-1], widths[1:])):
            if index > 0 or start_with_relu:
                layers.append(nn.ReLU(inplace=False))
            layers += [SeparableConv(width_in, width_out), nn.BatchNorm2d(width_out)]
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride=stride, padding=1))
        self.residual = nn.Sequential(*layers)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x: Tensor) -> Tensor:
        return self.residual(x) + self.shortcut(x)


class Xception(nn.Module):
    """(B, in_channels, h, w) -> class logits; `last_activation_map` gives the exit flow's output.

    With downsample=True the map is at 1/32 of the input side, else at the input's size.
    """

    def __init__(self, config: XceptionConfig = XceptionConfig()):
        super().__init__()
        self.config = config
        stride = 2 if config.downsample else 1
        stem1, stem2, block1, block2, block3 = config.entry_widths
        exit_block, exit_conv1, exit_conv2 = config.exit_widths
        self.entry = nn.Sequential(
            nn.Conv2d(config.in_channels, stem1, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(stem1),
            nn.ReLU(inplace=True),
            nn.Conv2d(stem1, stem2, 3, padding=1, bias=False), nn.BatchNorm2d(stem2), nn.ReLU(inplace=True),
            XceptionBlock(stem2, block1, 2, stride=stride, start_with_relu=False),
            XceptionBlock(block1, block2, 2, stride=stride),
            XceptionBlock(block2, block3, 2, stride=stride),
        )
        self.middle = nn.Sequential(*[XceptionBlock(block3, block3, 3) for _ in range(config.middle_repeats)])
        self.exit = nn.Sequential(
            XceptionBlock(block3, exit_block, 2, stride=stride, grow_first=False),
            SeparableConv(exit_block, exit_conv1), nn.BatchNorm2d(exit_conv1), nn.ReLU(inplace=True),
            SeparableConv(exit_conv1, exit_conv2), nn.BatchNorm2d(exit_conv2), nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(exit_conv2, config.num_classes)

    def last_activation_map(self, x: Tensor) -> Tensor:  # (B, Cin, h, w) -> (B, exit_widths[-1], h', w')
        if self.config.normalize_input:
            x = x / (x.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-6)
        return self.exit(self.middle(self.entry(x)))

    def classify(self, activation_map: Tensor) -> Tensor:  # (B, C, h', w') -> (B, num_classes)
        return self.classifier(activation_map.mean(dim=(2, 3)))

    def forward(self, x: Tensor) -> Tensor:
        return self.classify(self.last_activation_map(x))


@register_encoder("xception")
class XceptionEncoder(MapEncoder):
    """Xception alone on images (the paper's "Xception" ablation): embedding = the exit flow's
    last activation map, (2048, S/32, S/32) at full width. Trained from scratch (no ImageNet or
    JFT weights are available here) to classify diagnosis for options.extra["classification_epochs"]
    epochs (default options.epochs), keeping the epoch with the best validation P@10.
    """

    option_keys = ("classification_epochs",)

    def __init__(self, *, size: int = 128, reduction: str = "pca", pca_dim: int = 128,
                 normalize_parts: bool = True, middle_repeats: int = 8,
                 entry_widths: tuple[int, ...] = XceptionConfig.entry_widths,
                 exit_widths: tuple[int, ...] = XceptionConfig.exit_widths,
                 classes: tuple[str, ...] = ("COVID", "NonCOVID")):
        super().__init__(size=size, reduction=reduction, pca_dim=pca_dim, normalize_parts=normalize_parts,
                         middle_repeats=middle_repeats, entry_widths=tuple(entry_widths),
                         exit_widths=tuple(exit_widths), classes=tuple(classes))

    def build_networks(self, *, middle_repeats, entry_widths, exit_widths, classes) -> dict[str, nn.Module]:
        config = XceptionConfig(in_channels=1, entry_widths=entry_widths, exit_widths=exit_widths,
                                middle_repeats=middle_repeats, num_classes=len(classes))
        return {"xception": Xception(config)}

    def activation_maps(self, pixels: Tensor) -> list[Tensor]:
        return [self.networks["xception"].last_activation_map(pixels)]  # [(B, exit_widths[-1], S/32, S/32)]

    @classmethod
    def fit(cls, train: TrainingData, validation: TrainingData, options: TrainingOptions,
            *, progress=None) -> FitResult:
        encoder, generator, device = start_fit(cls, options, classes=class_names(train))
        size = encoder.input_spec.size
        train_data, validation_data = prepare(train, size), prepare(validation, size)
        network = encoder.networks["xception"]
        classes = encoder.architecture["classes"]
        validation_targets = label_indices(validation.labels, classes)

        def evaluate() -> dict:
            network.eval()
            logits = run_in_batches(network, validation_data.pixels, device)
            return {**retrieval_score(encoder, train_data, validation_data),
                    "validation_accuracy": accuracy(logits, validation_targets)}

        stage = classification_stage(network, train_data.pixels, label_indices(train.labels, classes), evaluate,
                                     epochs=options.setting("classification_epochs", options.epochs))
        history = run_stage(stage, options, generator=generator, device=device, progress=progress)
        return finish_fit(encoder, train_data, validation_data, history)
