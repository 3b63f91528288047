"""The paper's ensemble (section 2.2.3), encoder `cenet-xception`: CE-Net's RMP encoding fed to an
Xception trained on diagnosis; embedding = flattened RMP encoding ⊕ Xception's last activation map.

Choices where the paper is vague:
- The Xception takes the RMP encoding (C = 516 channels at 1/32 of the image side) as its input
  image, scaled to unit RMS per image (trained from scratch, RMP magnitudes differ 100x between
  images): the stem conv takes C channels and every stride is removed (the map is already small),
  and its last separable conv has C filters, so that the last activation map has the RMP
  encoding's shape, as the paper states ("an activation map of the same dimensions").
  Full embedding = 2 x 516 x (S/32)^2: 264,192 at S = 512 (the paper's number), 16,512 at the
  default S = 128.
- CE-Net is trained first (segmentation, Dice + BCE, on the caller's masks or on masks derived
  by embeddings.masks), then frozen; the Xception is trained on its RMP encodings with
  cross-entropy on diagnosis, keeping the epoch with the best validation P@10. The paper gives
  no epoch count for this stage; `--option classification_epochs=N` sets it (default: the
  run's epochs). On COVID-CT, 40 epochs after 5 of CE-Net gave test P@10 0.579 against 0.531
  with 5 (docs/BENCHMARKS.md): from random weights this stage learns slowly.
- Both stages start from random weights (no ImageNet weights can be fetched here) and train on
  the caller's training set (the paper trained Xception on the SARS-CoV-2 CT-scan dataset).
- `reduction` makes the vector searchable: `none` (the paper's full vector), `pool` (global
  average pool of both maps: 2 x 516 = 1,032 values) or `pca` (default; `pca_dim` principal
  axes of the training set's full vectors, stored in the checkpoint). With `normalize_parts`
  (default) each map's part is L2-normalised per image before concatenation, so that both
  networks weigh equally (see cenet_common.MapReducer).
"""
from __future__ import annotations

from torch import Tensor, nn

from embeddings.encoders.base import FitResult, TrainingData, TrainingOptions
from embeddings.encoders.cenet import RESNET34_DEPTHS, RESNET34_WIDTHS, CENet, rmp_encoding_size, \
    train_cenet_segmentation
from embeddings.encoders.cenet_common import MapEncoder
from embeddings.encoders.registry import register_encoder
from embeddings.encoders.xception import Xception, XceptionConfig
from embeddings.training_cenet import (accuracy, class_names, classification_stage, finish_fit, label_indices,
                                       run_in_batches, run_stage, score_maps, start_fit)


def ensemble_full_dim(size: int, widths: tuple[int, ...] = RESNET34_WIDTHS) -> int:
    """Length of the unreduced ensemble embedding: RMP encoding and a map of the same shape."""
    return 2 * rmp_encoding_size(size, widths)


@register_encoder("cenet-xception")
class CENetXceptionEncoder(MapEncoder):
    """CE-Net → RMP encoding → Xception; embedding = RMP ⊕ Xception last map, then `reduction`."""

    option_keys = ("segmentation_epochs", "classification_epochs")

    def __init__(self, *, size: int = 128, reduction: str = "pca", pca_dim: int = 128,
                 normalize_parts: bool = True,
                 widths: tuple[int, ...] = RESNET34_WIDTHS, depths: tuple[int, ...] = RESNET34_DEPTHS,
                 mask_method: str = "lung", middle_repeats: int = 8,
                 entry_widths: tuple[int, ...] = XceptionConfig.entry_widths,
                 exit_widths: tuple[int, ...] = XceptionConfig.exit_widths[:2],
                 classes: tuple[str, ...] = ("COVID", "NonCOVID")):
        super().__init__(size=size, reduction=reduction, pca_dim=pca_dim, normalize_parts=normalize_parts,
                         widths=tuple(widths), depths=tuple(depths), mask_method=mask_method,
                         middle_repeats=middle_repeats,
                         entry_widths=tuple(entry_widths), exit_widths=tuple(exit_widths), classes=tuple(classes))

    def build_networks(self, *, widths, depths, mask_method, middle_repeats, entry_widths, exit_widths,
                       classes) -> dict[str, nn.Module]:
        cenet = CENet(widths=widths, depths=depths)
        config = XceptionConfig(in_channels=cenet.rmp_channels, entry_widths=entry_widths,
                                exit_widths=(*exit_widths, cenet.rmp_channels), middle_repeats=middle_repeats,
                                downsample=False, normalize_input=True, num_classes=len(classes))
        return {"cenet": cenet, "xception": Xception(config)}

    def activation_maps(self, pixels: Tensor) -> list[Tensor]:
        rmp = self.networks["cenet"].encode(pixels)  # (B, C4 + 4, S/32, S/32)
        return [rmp, self.networks["xception"].last_activation_map(rmp)]  # second: same shape as rmp

    @classmethod
    def fit(cls, train: TrainingData, validation: TrainingData, options: TrainingOptions,
            *, progress=None) -> FitResult:
        encoder, generator, device = start_fit(cls, options, classes=class_names(train))
        train_data, validation_data, history = train_cenet_segmentation(
            encoder, train, validation, options, generator=generator, device=device, progress=progress)
        history += train_xception_on_rmp(encoder, train.labels, validation.labels, train_data.pixels,
                                          validation_data.pixels, options, generator=generator, device=device,
                                          progress=progress, epoch_offset=len(history),
                                          validation_groups=validation.groups)
        return finish_fit(encoder, train_data, validation_data, history)


def train_xception_on_rmp(encoder: CENetXceptionEncoder, train_labels, validation_labels, train_pixels: Tensor,
                          validation_pixels: Tensor, options: TrainingOptions, *, generator, device, progress,
                          epoch_offset: int, validation_groups=None) -> list[dict]:
    """Stage 2: CE-Net frozen, its RMP encodings computed once, Xception trained on them."""
    cenet, xception = encoder.networks["cenet"], encoder.networks["xception"]
    cenet.eval().requires_grad_(False)
    train_rmp = run_in_batches(cenet.encode, train_pixels, device)  # (n, C, S/32, S/32)
    validation_rmp = run_in_batches(cenet.encode, validation_pixels, device)
    classes = encoder.architecture["classes"]
    validation_targets = label_indices(validation_labels, classes)

    def evaluate() -> dict:
        xception.eval()
        train_maps = [train_rmp.numpy(), run_in_batches(xception.last_activation_map, train_rmp, device).numpy()]
        validation_last = run_in_batches(xception.last_activation_map, validation_rmp, device)
        score = score_maps(encoder.reducer, train_maps, train_labels,
                           [validation_rmp.numpy(), validation_last.numpy()], validation_labels, validation_groups)
        logits = run_in_batches(xception.classify, validation_last, device)
        return {**score, "validation_accuracy": accuracy(logits, validation_targets)}

    stage = classification_stage(xception, train_rmp, label_indices(train_labels, classes), evaluate,
                                 epochs=options.setting("classification_epochs", options.epochs))
    history = run_stage(stage, options, generator=generator, device=device, progress=progress,
                        epoch_offset=epoch_offset)
    cenet.requires_grad_(True)
    return history

