"""Training helpers of the CE-Net family (segmentation, classification and metric stages) and
the plain-NumPy retrieval metric used as their validation score. Seeds and the device come from
embeddings.training, the one place that chooses them."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from embeddings.encoders.base import FitResult, TrainingData, TrainingOptions
from embeddings.encoders.cenet_common import images_to_tensor, masks_to_tensor
from embeddings.evaluation import RankedRelevance, leave_one_out, mean_average_precision, precision_at
from embeddings.masks import derive_masks
from embeddings.training import choose_device, seed_everything

VALIDATION_K = 10
SELECTION_METRIC = "validation_p10"  # the paper's headline: precision of the first results


def masks_for(data: TrainingData, method: str) -> list[np.ndarray]:
    """The caller's masks, or masks derived by embeddings.masks when it has none."""
    return data.masks if data.masks is not None else derive_masks(data.images, method=method)


def label_indices(labels: Sequence[str], classes: Sequence[str]) -> Tensor:  # -> (n,) int64
    lookup = {name: index for index, name in enumerate(classes)}
    return torch.tensor([lookup[label] for label in labels], dtype=torch.long)


def dice_bce_loss(logits: Tensor, masks: Tensor) -> Tensor:
    """BCE + (1 - soft Dice), CE-Net's segmentation loss; logits and masks (B, 1, S, S)."""
    probabilities = torch.sigmoid(logits)
    overlap = (probabilities * masks).sum(dim=(1, 2, 3))
    total = probabilities.sum(dim=(1, 2, 3)) + masks.sum(dim=(1, 2, 3))
    dice = (2 * overlap + 1.0) / (total + 1.0)  # +1 keeps empty masks (failed derivations) finite
    return F.binary_cross_entropy_with_logits(logits, masks) + (1 - dice).mean()


def contrastive_loss(embeddings: Tensor, labels: Tensor, margin: float = 1.0) -> Tensor:
    """Manifold-embedding loss (Baur et al. 2017, after Hadsell et al. 2006) over all batch pairs.

    Same-label pairs are pulled together (d^2), others pushed beyond `margin` (max(0, m - d)^2),
    on L2-normalised (B, D) embeddings.
    """
    unit = F.normalize(embeddings, dim=1)
    distances = torch.cdist(unit, unit)  # (B, B)
    is_same = labels[:, None] == labels[None, :]
    off_diagonal = ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pull = distances.pow(2)[is_same & off_diagonal]
    push = F.relu(margin - distances).pow(2)[~is_same]
    return torch.cat([pull, push]).mean() if pull.numel() + push.numel() else distances.sum() * 0


def hard_dice(logits: Tensor, masks: Tensor) -> float:
    """Mean hard Dice (threshold 0.5) of (B, 1, S, S) logits against masks; empty vs empty = 1."""
    predicted = (logits > 0).float()
    overlap = (predicted * masks).sum(dim=(1, 2, 3))
    total = predicted.sum(dim=(1, 2, 3)) + masks.sum(dim=(1, 2, 3))
    return float(((2 * overlap + 1e-6) / (total + 1e-6)).mean())


def precision_at_k(embeddings: np.ndarray, labels: Sequence[str], k: int = VALIDATION_K,
                   groups: Sequence[str] | None = None) -> float:
    """Mean leave-one-out P@k with Euclidean distance: each image queries all the others. With `groups`
    (patient ids) a query's own patient is left out too, as in retrieval_map: COVID-CT has up to six
    slices per patient, and their near copies flattered the epoch choice."""
    if len(embeddings) < 2:
        return 0.0
    return mean_precision(leave_one_out(embeddings, labels, groups), k)


def mean_precision(ranked: RankedRelevance, k: int) -> float:
    """Mean P@k over the ranked queries (k cut to the reference size)."""
    if not len(ranked.relevant_counts):
        return 0.0
    return float(precision_at(ranked, min(k, ranked.relevance.shape[1])).mean())


@dataclass
class Stage:
    """One training stage: `loss(batch)` over minibatches of `tensors`, scored by `evaluate()`."""

    name: str
    modules: list[nn.Module]
    tensors: list[Tensor]  # indexed together along dim 0
    loss: Callable[[list[Tensor]], Tensor]
    evaluate: Callable[[], dict]  # metrics after an epoch; must hold SELECTION_METRIC when keep_best
    epochs: int
    keep_best: bool = False  # restore the epoch with the highest SELECTION_METRIC
    history: list[dict] = field(default_factory=list)


def run_stage(stage: Stage, options: TrainingOptions, *, generator: torch.Generator, device: torch.device,
              progress=None, epoch_offset: int = 0) -> list[dict]:
    """Adam over shuffled minibatches for stage.epochs epochs, with early stopping on
    options.patience when keep_best; calls progress(epoch, metrics) after every epoch."""
    parameters = [p for module in stage.modules for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=options.learning_rate)
    best_metric, best_state, stale = -np.inf, None, 0
    for epoch in range(1, stage.epochs + 1):
        started = time.perf_counter()
        loss = _train_one_epoch(stage, optimizer, options.batch_size, generator, device)
        metrics = {"stage": stage.name, "loss": loss, **stage.evaluate(), "seconds": time.perf_counter() - started}
        stage.history.append(metrics)
        if progress is not None:
            progress(epoch_offset + epoch, metrics)
        if not stage.keep_best:
            continue
        if metrics[SELECTION_METRIC] > best_metric:
            best_metric, stale = metrics[SELECTION_METRIC], 0
            best_state = [copy.deepcopy(module.state_dict()) for module in stage.modules]
        else:
            stale += 1
            if stale >= options.patience:
                break
    if best_state is not None:
        for module, state in zip(stage.modules, best_state):
            module.load_state_dict(state)
    return stage.history


def _train_one_epoch(stage: Stage, optimizer, batch_size: int, generator: torch.Generator,
                     device: torch.device) -> float:
    for module in stage.modules:
        module.train()
    order = torch.randperm(len(stage.tensors[0]), generator=generator)
    losses = []
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        if len(index) < 2:  # BatchNorm needs two samples
            continue
        loss = stage.loss([tensor[index].to(device) for tensor in stage.tensors])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return float(np.mean(losses)) if losses else float("nan")


def encoder_kwargs(encoder_class, options: TrainingOptions) -> dict:
    """Constructor arguments: size from options.img_size, and any other constructor setting given
    in options.extra (reduction, pca_dim, widths, middle_repeats, ...), read as the type of its
    default so that a wrong `--option` is refused by name before anything is built."""
    defaults = encoder_class.constructor_settings()
    given = set(options.extra or {}) & set(defaults)
    return {"size": options.img_size, **{name: options.setting(name, defaults[name]) for name in given}}


@dataclass
class PreparedData:
    """TrainingData turned into tensors at the encoder's size (masks derived when absent)."""

    pixels: Tensor  # (n, 1, S, S) z-scored
    labels: list[str]
    masks: Tensor | None = None  # (n, 1, S, S) in {0, 1}
    groups: list[str] | None = None  # patient ids: validation leaves a query's own patient out


def prepare(data: TrainingData, size: int, *, mask_method: str | None = None) -> PreparedData:
    masks = None if mask_method is None else masks_to_tensor(masks_for(data, mask_method), size)
    return PreparedData(images_to_tensor(data.images, size), list(data.labels), masks, list(data.groups))


def segmentation_stage(network: nn.Module, train: PreparedData, validation: PreparedData, *, epochs: int,
                       device: torch.device) -> Stage:
    """Dice + BCE on image/mask pairs; scored by validation Dice."""
    def loss(batch: list[Tensor]) -> Tensor:
        pixels, masks = batch
        return dice_bce_loss(network(pixels), masks)

    def evaluate() -> dict:
        network.eval()
        logits = run_in_batches(network, validation.pixels, device)
        return {"validation_dice": hard_dice(logits, validation.masks)}

    return Stage("segmentation", [network], [train.pixels, train.masks], loss, evaluate, epochs)


def classification_stage(network: nn.Module, inputs: Tensor, targets: Tensor, evaluate: Callable[[], dict], *,
                         epochs: int, name: str = "classification") -> Stage:
    """Cross-entropy of network(inputs) against class indices; keeps the best validation epoch."""
    def loss(batch: list[Tensor]) -> Tensor:
        batch_inputs, batch_targets = batch
        return F.cross_entropy(network(batch_inputs), batch_targets)

    return Stage(name, [network], [inputs, targets], loss, evaluate, epochs, keep_best=True)


@torch.inference_mode()
def run_in_batches(forward: Callable[[Tensor], Tensor], inputs: Tensor, device: torch.device,
                   batch_size: int = 16) -> Tensor:
    """forward over inputs in batches on `device`; the caller puts modules in eval mode."""
    return torch.cat([forward(inputs[start:start + batch_size].to(device)).cpu()
                      for start in range(0, len(inputs), batch_size)])


def score_maps(reducer, train_maps: list[np.ndarray], train_labels: Sequence[str],
               validation_maps: list[np.ndarray], validation_labels: Sequence[str],
               validation_groups: Sequence[str] | None = None) -> dict:
    """Fit the reduction on training maps; leave-one-out P@10 and mAP of the reduced validation maps,
    each query's own patient left out when groups are given."""
    reducer.fit(train_maps)
    vectors = reducer.reduce(validation_maps)
    if len(vectors) < 2:
        return {SELECTION_METRIC: 0.0, "validation_map": 0.0}
    ranked = leave_one_out(vectors, validation_labels, validation_groups)  # ranked once for both scores
    return {SELECTION_METRIC: mean_precision(ranked, VALIDATION_K), "validation_map": mean_average_precision(ranked)}


def accuracy(logits: Tensor, targets: Tensor) -> float:
    return float((logits.argmax(dim=1) == targets).float().mean())


def retrieval_score(encoder, train: "PreparedData", validation: "PreparedData") -> dict:
    """Fit the encoder's reduction on the training maps; validation P@10 and mAP of its embeddings."""
    return score_maps(encoder.reducer, encoder.maps_of_tensor(train.pixels), train.labels,
                      encoder.maps_of_tensor(validation.pixels), validation.labels, validation.groups)


def class_names(train: TrainingData) -> tuple[str, ...]:
    return tuple(sorted(set(train.labels)))


def finish_fit(encoder, train: PreparedData, validation: PreparedData, history: list[dict]) -> FitResult:
    """Fit the reduction on the training set and hand back a CPU encoder.

    validation_metric is leave-one-out validation mAP, the score train_encoder compares between
    versions (epochs within a stage are chosen on validation P@10).
    """
    score = retrieval_score(encoder, train, validation)
    encoder.to(torch.device("cpu"))
    return FitResult(encoder=encoder, history=history, validation_metric=score["validation_map"])


def start_fit(encoder_class, options: TrainingOptions, **overrides):
    """Seed, pick the device and build the untrained encoder there; -> (encoder, generator, device)."""
    seed_everything(options.seed)
    generator = torch.Generator().manual_seed(options.seed)
    device = choose_device(options.device)
    encoder = encoder_class(**(encoder_kwargs(encoder_class, options) | overrides))
    return encoder.to(device), generator, device
