"""GoogLeNet trunk + GeM pooling (p=3) + FC-BN-PReLU head, trained with ArcFace (JMIR 2026, paper 004).

Choices where the paper is vague or cannot apply here:
- no ImageNet weights can be downloaded: the trunk is torchvision's googlenet(weights=None,
  aux_logits=False, init_weights=True), trained from scratch;
- input side `img_size` (default 128 instead of the paper's 224, for CPU budgets); grayscale
  in [0, 1], standardised with mean 0.5 / std 0.5 and stacked to 3 identical channels;
- ArcFace margin is given in degrees, as in pytorch-metric-learning's ArcFaceLoss whose
  "margin 38, scale 64" the paper reports; defaults: scale 64, margin 28.6° (0.5 rad, the
  ArcFace paper's value), both configurable (`arcface_scale`, `arcface_margin_degrees`);
- optimiser AdamW (weight decay 5e-4) with a one-cycle schedule peaking at the learning rate;
- augmentation on training batches only: rotation ±15°, scale 0.9-1.1, horizontal flip; opt-in
  (`--option augment_extra=1`): shift ±8 % and intensity jitter (contrast ±20 %, brightness ±0.1,
  gamma 0.8-1.25);
- opt-in ArcFace margin warm-up (`--option arcface_margin_warmup=0.2`): the margin ramps linearly
  from 0 over that fraction of the optimiser steps. Both are off by default: a 70-epoch brain run
  with both on had a noisier and lower validation mAP at epoch 30 (best 0.65) than the default
  recipe's 0.82 after 24 epochs (docs/BENCHMARKS.md), so they are not yet shown to help;
- opt-in auxiliary softmax (`--option softmax_weight=W`): a linear classifier on the embedding
  adds W x cross-entropy to the ArcFace loss; the classifier is dropped after training. Off by
  default: in 110-epoch brain runs it validated higher (0.937 vs 0.922) but retrieved the
  held-out patients worse (mAP 0.942 vs 0.960, docs/BENCHMARKS.md);
- the embedding (PReLU output) is L2-normalised at inference, so Euclidean ranking equals
  cosine ranking, which is what ArcFace trains;
- opt-in foreground crop (`--option crop_foreground=true`): each image is cut to the square
  around its bright content before resizing (training, indexing and queries alike), so fewer of
  the few input pixels are black surround. Off by default and not shown to help yet: brain
  slices here fill most of their frame already, and two 110-epoch runs with it, stopped at epoch
  27 for the ensemble runs, validated like the runs without it;
- opt-in deep ensemble (`--option members=N`, Lakshminarayanan et al. 2017): N networks trained
  one after the other with seeds seed..seed+N-1, their unit embeddings concatenated (N x D values).
  Not in the paper: on brain MRI the seed alone moved a 110-epoch run between mAP 0.89 and 0.96,
  and averaging members is the standard way to take that variance out (docs/BENCHMARKS.md).
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import googlenet

from embeddings.encoders.base import FitResult, InputSpec, TrainingData, TrainingOptions
from embeddings.encoders.checkpoints import NetworkCheckpoint
from embeddings.encoders.registry import register_encoder
from embeddings.errors import TrainingError
from embeddings.evaluation import retrieval_map
from embeddings.pixels import prepare_square
from embeddings import training

EMBEDDING_DIMS = (64, 128, 256, 512)


class GeM(nn.Module):
    """Generalised mean pooling with a fixed exponent; (B, C, H, W) -> (B, C, 1, 1)."""

    def __init__(self, p: float = 3.0, eps: float = 1e-6):
        super().__init__()
        self.p, self.eps = p, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x.clamp(min=self.eps).pow(self.p), kernel_size=x.shape[-2:]).pow(1.0 / self.p)


class GoogLeNetGeM(nn.Module):
    """(B, 1, S, S) in [0, 1] -> (B, embedding_dim) PReLU features (not normalised)."""

    def __init__(self, embedding_dim: int = 256, gem_p: float = 3.0):
        super().__init__()
        trunk = googlenet(weights=None, aux_logits=False, init_weights=True)
        trunk.avgpool = GeM(gem_p)  # replaces global average pooling
        trunk.fc = nn.Identity()
        self.trunk = trunk
        self.head = nn.Sequential(nn.Linear(1024, embedding_dim), nn.BatchNorm1d(embedding_dim), nn.PReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = ((x - 0.5) / 0.5).expand(-1, 3, -1, -1)  # (B, 3, S, S): grayscale stacked
        features = self.trunk(x)  # (B, 1024) after GeM, flatten and dropout
        return self.head(features)  # (B, embedding_dim)


class ArcFaceHead(nn.Module):
    """Additive angular margin softmax loss (Deng et al. 2019)."""

    def __init__(self, embedding_dim: int, classes: int, *, scale: float, margin_degrees: float):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(classes, embedding_dim))
        nn.init.xavier_uniform_(self.weight)
        self.scale, self.margin = scale, math.radians(margin_degrees)
        self.margin_fraction = 1.0  # set by the training loop during the margin warm-up

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        margin = self.margin * self.margin_fraction
        cosine = F.linear(F.normalize(embeddings), F.normalize(self.weight))  # (B, classes)
        cosine = cosine.clamp(-1 + 1e-7, 1 - 1e-7)
        theta = torch.acos(cosine)
        target_logit = torch.cos((theta + margin).clamp(max=math.pi))  # margin only on the true class
        one_hot = F.one_hot(targets, cosine.shape[1]).bool()
        logits = torch.where(one_hot, target_logit, cosine) * self.scale
        return F.cross_entropy(logits, targets)


class MemberEnsemble(nn.Module):
    """Independently trained networks side by side: (B, 1, S, S) -> (B, members x D).

    Each member's embedding is L2-normalised and scaled by 1/sqrt(members), so the whole is a unit
    vector and ranking it by Euclidean distance ranks by the members' mean cosine similarity.
    """

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = 1.0 / math.sqrt(len(self.members))
        return torch.cat([F.normalize(member(x)) * scale for member in self.members], dim=1)


@register_encoder("googlenet-gem-arcface")
class GoogLeNetGeMEncoder(NetworkCheckpoint):
    """GoogLeNet trunk, GeM pooling (p=3) and an FC-BN-PReLU head; embeddings are L2-normalised.

    With `members` > 1 it is a deep ensemble of that many such networks, trained one after the
    other with seeds seed, seed + 1, ... on the same split; `dim` is members x embedding_dim.
    """

    option_keys = ("embedding_dim", "crop_foreground", "members", "arcface_scale", "arcface_margin_degrees",
                   "arcface_margin_warmup", "augment_extra", "softmax_weight")

    trainable = True

    def __init__(self, *, embedding_dim: int = 256, img_size: int = 128, gem_p: float = 3.0,
                 classes: Sequence[str] = (), crop_foreground: bool = False, members: int = 1,
                 version: str = "untrained"):
        if embedding_dim not in EMBEDDING_DIMS:
            raise ValueError(f"embedding_dim must be one of {EMBEDDING_DIMS}, got {embedding_dim}")
        if members < 1:
            raise ValueError(f"members must be at least 1, got {members}")
        self.input_spec = InputSpec(size=img_size, channels=3)
        self.embedding_dim, self.members, self.dim = embedding_dim, members, embedding_dim * members
        self.gem_p, self.classes, self.version = gem_p, list(classes), version
        self.crop_foreground = crop_foreground  # part of the config: queries are cropped like the training images
        self.network = self.assemble([GoogLeNetGeM(embedding_dim, gem_p) for _ in range(members)])
        self.device = torch.device("cpu")

    @staticmethod
    def assemble(networks: Sequence[GoogLeNetGeM]) -> nn.Module:
        """One network stays itself (the layout of single-network checkpoints); more become an ensemble."""
        return (networks[0] if len(networks) == 1 else MemberEnsemble(networks)).eval()

    def config(self) -> dict:
        return {"embedding_dim": self.embedding_dim, "img_size": self.input_spec.size, "gem_p": self.gem_p,
                "classes": self.classes, "crop_foreground": self.crop_foreground, "members": self.members}

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        if not len(images):
            return np.zeros((0, self.dim), np.float32)
        self.network.eval()
        pixels = self.network_pixels(images)  # (n, S, S) uint8
        vectors = training.embed_in_batches(self.network, pixels, device=self.device)  # (n, dim)
        return unit_rows(vectors)

    def network_pixels(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Cropped to the foreground first when trained so (`crop_foreground`)."""
        return prepare_square(images, self.input_spec.size, crop_foreground=self.crop_foreground)

    def embedding_module(self) -> nn.Module:
        return self.network  # (B, 1, S, S) in [0, 1] -> (B, dim): what the similarity heatmaps differentiate

    @classmethod
    def fit(cls, train: TrainingData, validation: TrainingData, options: TrainingOptions, *,
            progress=None) -> FitResult:
        device = training.choose_device(options.device)
        classes, targets = training.class_indices(train.labels)
        encoder = cls(embedding_dim=options.setting("embedding_dim", 256), img_size=options.img_size, classes=classes,
                      crop_foreground=options.setting("crop_foreground", False), members=_member_count(options))
        data = MemberData(pixels=encoder.network_pixels(train.images), targets=targets,  # cropped and resized once
                          validation_pixels=encoder.network_pixels(validation.images),
                          validation_labels=list(validation.labels), validation_groups=list(validation.groups))
        results = [_fit_member(encoder, data, options, index, device, progress) for index in range(encoder.members)]
        encoder.network = cls.assemble([network for network, _ in results])
        if encoder.members == 1:
            return FitResult(encoder=encoder, history=results[0][1].history, validation_metric=results[0][1].best_metric)
        history = [entry | {"member": index + 1} for index, (_, result) in enumerate(results) for entry in result.history]
        # the ensemble's own validation mAP decides activation, not a member's
        vectors = training.embed_in_batches(encoder.network, data.validation_pixels, device=torch.device("cpu"))
        metric = retrieval_map(unit_rows(vectors), data.validation_labels, data.validation_groups)
        return FitResult(encoder=encoder, history=history, validation_metric=metric)


@dataclasses.dataclass
class MemberData:
    """What every member trains and validates on: uint8 (n, S, S) squares and class indices."""

    pixels: np.ndarray
    targets: np.ndarray
    validation_pixels: np.ndarray
    validation_labels: list[str]
    validation_groups: list[str]  # patients: a query's own are left out of its ranking


def _fit_member(encoder: GoogLeNetGeMEncoder, data: MemberData, options: TrainingOptions, index: int,
                device: torch.device, progress) -> tuple[GoogLeNetGeM, training.LoopResult]:
    """Train member `index` (a fresh network and ArcFace head) and return it on the CPU with its loop result."""
    member = _member_options(options, index, encoder.members)
    training.seed_everything(member.seed)  # member 0 is exactly the single-network run of this seed
    network = GoogLeNetGeM(encoder.embedding_dim, encoder.gem_p).to(device)
    head = ArcFaceHead(encoder.embedding_dim, len(encoder.classes), scale=options.setting("arcface_scale", 64.0),
                       margin_degrees=options.setting("arcface_margin_degrees", 28.6)).to(device)
    parts = _loop_parts(network, head, data, member, device)
    result = training.run_training_loop(parts, member, progress=_member_progress(progress, index, options),
                                        description=_member_description(index, encoder.members))
    return network.cpu().eval(), result


def _member_count(options: TrainingOptions) -> int:
    members = options.setting("members", 1)
    if members < 1:
        raise TrainingError(f"--option members takes a whole number of at least 1, got {members}")
    return members


def _member_options(options: TrainingOptions, index: int, members: int) -> TrainingOptions:
    """Member `index` trains with seed + index and, in an ensemble, keeps its resumable state in
    its own folder, so an interrupted ensemble resumes at the member and epoch where it stopped.
    `max_seconds` caps each member."""
    if members == 1:
        return options
    work_dir = Path(options.work_dir) / f"member-{index + 1}" if options.work_dir else None
    return dataclasses.replace(options, seed=options.seed + index, work_dir=work_dir)


def _member_progress(progress, index: int, options: TrainingOptions):
    """Epochs count on across members: member 2's first epoch is epoch `epochs` + 1 of the whole run."""
    if progress is None:
        return None
    return lambda epoch, metrics: progress(index * options.epochs + epoch, metrics)


def _member_description(index: int, members: int) -> str:
    return "googlenet-gem-arcface" if members == 1 else f"googlenet-gem-arcface member {index + 1}/{members}"


def _loop_parts(network: GoogLeNetGeM, head: ArcFaceHead, data: MemberData, options: TrainingOptions,
                device: torch.device) -> training.LoopParts:
    pixels, targets = data.pixels, data.targets
    softmax_weight = options.setting("softmax_weight", 0.0)
    modules = {"network": network, "head": head}
    if softmax_weight > 0:
        modules["classifier"] = nn.Linear(head.weight.shape[1], head.weight.shape[0]).to(device)
    model = nn.ModuleDict(modules)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=5e-4)
    plan = lambda epoch: training.epoch_batches(len(pixels), options.batch_size, seed=options.seed, epoch=epoch)
    steps = len(plan(0))
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=options.learning_rate,
                                                    total_steps=max(options.epochs * steps, 2), pct_start=0.15)
    target_tensor = torch.from_numpy(targets)
    warmup_steps = options.setting("arcface_margin_warmup", 0.0) * options.epochs * steps
    augment_extra = bool(options.setting("augment_extra", 0))

    def train_step(batch: np.ndarray, generator: torch.Generator) -> torch.Tensor:
        images = training.augment(training.to_tensor(pixels[batch]), generator, shift=0.08 if augment_extra else 0.0)
        if augment_extra:
            images = training.jitter_intensity(images, generator)
        images = images.to(device)  # (B, 1, S, S)
        # the scheduler's step count survives a resume, so the ramp continues where it stopped
        head.margin_fraction = min(1.0, scheduler.last_epoch / warmup_steps) if warmup_steps > 0 else 1.0
        embeddings, batch_targets = network(images), target_tensor[batch].to(device)
        loss = head(embeddings, batch_targets)
        if softmax_weight > 0:
            loss = loss + softmax_weight * F.cross_entropy(model["classifier"](embeddings), batch_targets)
        return loss

    def validate() -> float:
        vectors = training.embed_in_batches(network, data.validation_pixels, device=device)
        return retrieval_map(unit_rows(vectors), data.validation_labels, data.validation_groups)

    return training.LoopParts(model=model, optimizer=optimizer, train_step=train_step, validate=validate,
                              scheduler=scheduler, steps_per_epoch=steps, batch_plan=plan,
                              fit_schedule=lambda epochs: training.shorten_one_cycle(scheduler, epochs * steps))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """(n, d) -> float32 rows of length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
