"""The plain training loop shared by learned encoders: seeding, device, batching,
augmentation, early stopping and resumable state. Takes and returns plain objects."""
from __future__ import annotations

import contextlib
import copy
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from embeddings.encoders.base import TrainingOptions

STATE_FILE = "state.pt"


def seed_everything(seed: int) -> None:
    """The one place that seeds Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def choose_device(name: str = "auto") -> torch.device:
    """auto -> cuda when present, else cpu; asking for cuda without one raises ValueError."""
    if name not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for but torch sees no CUDA device")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def to_tensor(pixels: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 (n, S, S) -> float32 (n, 1, S, S) in [0, 1]."""
    return torch.from_numpy(pixels).to(device).unsqueeze(1).float().div_(255.0)


def augment(batch: torch.Tensor, generator: torch.Generator, *, degrees: float = 15.0,
            scale: tuple[float, float] = (0.9, 1.1), flip: bool = True, shift: float = 0.0) -> torch.Tensor:
    """Random rotation, isotropic scale, translation (fraction of the side) and horizontal flip
    per image; (B, C, S, S) -> same shape."""
    size = batch.shape[0]
    angles = (torch.rand(size, generator=generator) * 2 - 1) * math.radians(degrees)
    scales = scale[0] + torch.rand(size, generator=generator) * (scale[1] - scale[0])
    flips = torch.where(torch.rand(size, generator=generator) < 0.5, -1.0, 1.0) if flip else torch.ones(size)
    shifts = (torch.rand(size, 2, generator=generator) * 2 - 1) * shift * 2  # affine_grid spans [-1, 1]
    cos, sin = torch.cos(angles) / scales, torch.sin(angles) / scales
    theta = torch.zeros(size, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flips, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flips, cos
    theta[:, :, 2] = shifts
    grid = F.affine_grid(theta.to(batch.device), list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, padding_mode="zeros", align_corners=False)


def jitter_intensity(batch: torch.Tensor, generator: torch.Generator, *, contrast: float = 0.2,
                     brightness: float = 0.1, gamma: float = 0.25) -> torch.Tensor:
    """Random contrast, brightness and gamma per image on [0, 1] pixels: scanners and
    reconstruction settings differ in exactly these, so the embedding should not."""
    size = batch.shape[0]
    shape = (size,) + (1,) * (batch.dim() - 1)
    draw = lambda spread: ((torch.rand(size, generator=generator) * 2 - 1) * spread).view(shape).to(batch.device)
    gammas = torch.exp(draw(math.log1p(gamma)))  # symmetric in log space: 1/1.25 .. 1.25
    jittered = batch.clamp(0, 1).pow(gammas) * (1 + draw(contrast)) + draw(brightness)
    return jittered.clamp(0, 1)


def epoch_batches(count: int, batch_size: int, *, seed: int, epoch: int) -> list[np.ndarray]:
    """Shuffled index batches, fixed by (seed, epoch) so a resumed run sees the same order.

    A trailing batch of one image is dropped: BatchNorm cannot train on it.
    """
    order = np.random.default_rng([seed, epoch]).permutation(count)
    batches = [order[start:start + batch_size] for start in range(0, count, batch_size)]
    return [batch for batch in batches if len(batch) > 1] or batches


@dataclass
class EarlyStopping:
    """Stops after `patience` epochs without the metric improving by more than min_delta."""

    patience: int
    min_delta: float = 1e-4
    best: float = -math.inf
    stale_epochs: int = 0

    def update(self, metric: float) -> bool:
        """Record one epoch's metric; True when it is the best so far."""
        if metric > self.best + self.min_delta:
            self.best, self.stale_epochs = metric, 0
            return True
        self.stale_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.stale_epochs >= self.patience


class WeightAverage:
    """Exponential moving average of a model's weights and BatchNorm statistics, updated after every step.

    Opt-in (`--option weight_average_decay=0.98`). On small sets the raw weights swing from epoch to
    epoch and the validation peak picked among those swings does not carry over to new patients;
    validating and keeping the average is the usual remedy (Polyak averaging).
    """

    def __init__(self, model: torch.nn.Module, decay: float, average: dict | None = None):
        self.decay = decay
        self.average = average or {key: value.detach().clone() for key, value in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for key, value in model.state_dict().items():
            if value.dtype.is_floating_point:
                self.average[key].lerp_(value, 1.0 - self.decay)
            else:  # step counters follow the model
                self.average[key].copy_(value)

    @contextlib.contextmanager
    def applied(self, model: torch.nn.Module):
        """The model holds the averaged weights inside the block, its own weights again after it."""
        own = copy.deepcopy(model.state_dict())
        model.load_state_dict(self.average)
        try:
            yield model
        finally:
            model.load_state_dict(own)


@dataclass
class LoopParts:
    """What an encoder hands to the loop: its modules, optimiser and two callbacks."""

    model: torch.nn.Module  # everything that trains (network plus loss head)
    optimizer: torch.optim.Optimizer
    train_step: Callable[[np.ndarray, torch.Generator], torch.Tensor]  # index batch -> scalar loss
    validate: Callable[[], float]  # higher is better
    scheduler: object | None = None  # stepped after every batch
    steps_per_epoch: int = 1
    batch_plan: Callable[[int], list[np.ndarray]] = field(default=lambda epoch: [])
    # (epochs) -> end the learning-rate schedule after that many epochs instead; set by encoders whose
    # schedule must finish (one-cycle annealing) when a time cap (max_seconds) cuts the run short
    fit_schedule: Callable[[int], None] | None = None


@dataclass
class LoopResult:
    history: list[dict]
    best_metric: float
    stopped_early: bool


def run_training_loop(parts: LoopParts, options: TrainingOptions, *, progress=None,
                      description: str = "train") -> LoopResult:
    """Train epoch by epoch; keeps the best weights by validation metric, restores them at the end.

    With options.work_dir the full state is written after every epoch and a later call
    with the same work_dir continues where it stopped. `progress(epoch, metrics)` is called
    after every epoch; when it is given, a tqdm bar shows loss and validation metric.
    """
    state = _load_state(options.work_dir, parts)
    stopper = EarlyStopping(options.patience, best=state["best_metric"], stale_epochs=state["stale_epochs"])
    history, best_weights = state["history"], state["best_weights"]
    decay = options.setting("weight_average_decay", 0.0)
    average = WeightAverage(parts.model, decay, state["weight_average"]) if decay > 0 else None
    bar = _progress_bar(progress, options, parts, state["epoch"], description)
    planned = state["planned_epochs"] or options.epochs
    for epoch in range(state["epoch"], options.epochs):
        if epoch >= planned or stopper.should_stop or _out_of_time(history, options):
            break
        metrics = _train_one_epoch(parts, options, epoch, bar, average)
        validation_started = time.monotonic()
        with average.applied(parts.model) if average else contextlib.nullcontext():
            metrics["validation_metric"] = float(parts.validate())
            if stopper.update(metrics["validation_metric"]) or best_weights is None:
                best_weights = copy.deepcopy(parts.model.state_dict())
        metrics["validation_seconds"] = round(time.monotonic() - validation_started, 2)
        history.append(metrics)
        if bar is not None:
            bar.set_postfix(epoch=epoch + 1, loss=f"{metrics['loss']:.4f}", val=f"{metrics['validation_metric']:.4f}")
        fitted = _fit_schedule_to_time(parts, history, options, planned, done=epoch + 1)
        if bar is not None and fitted != planned:
            bar.total = fitted * parts.steps_per_epoch
            bar.refresh()
        planned = fitted
        _save_state(options.work_dir, parts, epoch + 1, history, best_weights, stopper, average, planned)
        if progress is not None:
            progress(epoch, metrics)
    if bar is not None:
        bar.close()
    if best_weights is not None:
        parts.model.load_state_dict(best_weights)
    best = max((entry["validation_metric"] for entry in history), default=0.0)
    return LoopResult(history=history, best_metric=best, stopped_early=stopper.should_stop)


def _fit_schedule_to_time(parts: LoopParts, history: list[dict], options: TrainingOptions, planned: int, *,
                          done: int) -> int:
    """The epochs the run can still afford under max_seconds at its mean pace so far; when that is fewer
    than planned, the schedule is told (parts.fit_schedule) so that it anneals by then instead of being
    cut at a high learning rate. Never lengthens a run."""
    limit = options.setting("max_seconds", 0.0)
    if not limit or parts.fit_schedule is None or not history:
        return planned
    pace = sum(map(epoch_seconds, history)) / len(history)
    affordable = max(done, int(limit // max(pace, 1e-9)))
    if affordable < planned:
        parts.fit_schedule(affordable)
        return affordable
    return planned


def shorten_one_cycle(scheduler: torch.optim.lr_scheduler.OneCycleLR, total_steps: int) -> None:
    """Make a OneCycleLR end after `total_steps` (at least one more than taken): warm-up and annealing
    keep their proportions. It edits the scheduler's phase table (torch's own layout, two phases)."""
    total_steps = max(int(total_steps), scheduler.last_epoch + 1)
    warm_up_share = (scheduler._schedule_phases[0]["end_step"] + 1) / scheduler.total_steps
    scheduler.total_steps = total_steps
    scheduler._schedule_phases[0]["end_step"] = float(warm_up_share * total_steps) - 1
    scheduler._schedule_phases[1]["end_step"] = total_steps - 1


def _out_of_time(history: list[dict], options: TrainingOptions) -> bool:
    """options.extra["max_seconds"] caps the run: stop when one more epoch like the last would pass it."""
    limit = options.setting("max_seconds", 0.0)
    if not limit or not history:
        return False
    return sum(map(epoch_seconds, history)) + epoch_seconds(history[-1]) > limit


def epoch_seconds(entry: dict) -> float:
    """An epoch's wall clock: training and validation."""
    return entry["seconds"] + entry.get("validation_seconds", 0.0)


def _train_one_epoch(parts: LoopParts, options: TrainingOptions, epoch: int, bar,
                     average: WeightAverage | None = None) -> dict:
    parts.model.train()
    generator = torch.Generator().manual_seed(options.seed * 100_003 + epoch)
    started, losses = time.monotonic(), []
    for batch in parts.batch_plan(epoch):
        loss = parts.train_step(batch, generator)
        parts.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        parts.optimizer.step()
        if parts.scheduler is not None:
            parts.scheduler.step()
        if average is not None:
            average.update(parts.model)
        losses.append(float(loss.detach()))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses):.4f}", refresh=False)
    parts.model.eval()
    return {"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else 0.0,
            "seconds": round(time.monotonic() - started, 2),
            "learning_rate": float(parts.optimizer.param_groups[0]["lr"])}


def _progress_bar(progress, options: TrainingOptions, parts: LoopParts, start_epoch: int, description: str):
    if progress is None:
        return None
    from tqdm import tqdm

    return tqdm(total=options.epochs * parts.steps_per_epoch, initial=start_epoch * parts.steps_per_epoch,
                desc=description, unit="batch", dynamic_ncols=True)


def _fresh_state() -> dict:
    return {"epoch": 0, "history": [], "best_weights": None, "best_metric": -math.inf, "stale_epochs": 0,
            "weight_average": None, "planned_epochs": None}


def _load_state(work_dir: Path | None, parts: LoopParts) -> dict:
    path = Path(work_dir) / STATE_FILE if work_dir else None
    if path is None or not path.exists():
        return _fresh_state()
    saved = torch.load(path, map_location="cpu", weights_only=False)
    parts.model.load_state_dict(saved["model"])
    parts.optimizer.load_state_dict(saved["optimizer"])
    if parts.scheduler is not None and saved.get("scheduler") is not None:
        parts.scheduler.load_state_dict(saved["scheduler"])
    if saved.get("torch_rng") is not None:  # dropout draws from the global RNG: a resumed run stays identical
        torch.set_rng_state(saved["torch_rng"])
    return {key: saved.get(key, default) for key, default in _fresh_state().items()}  # states from before a key existed


def _save_state(work_dir: Path | None, parts: LoopParts, epoch: int, history: list[dict], best_weights,
                stopper: EarlyStopping, average: WeightAverage | None = None, planned: int | None = None) -> None:
    if not work_dir:
        return
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    state = {"epoch": epoch, "history": history, "best_weights": best_weights, "best_metric": stopper.best,
             "stale_epochs": stopper.stale_epochs, "model": parts.model.state_dict(),
             "optimizer": parts.optimizer.state_dict(),
             "scheduler": parts.scheduler.state_dict() if parts.scheduler is not None else None,
             "weight_average": average.average if average is not None else None, "torch_rng": torch.get_rng_state(),
             "planned_epochs": planned}
    temporary = Path(work_dir) / (STATE_FILE + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, Path(work_dir) / STATE_FILE)  # a crash mid-write never leaves a broken state


@torch.inference_mode()
def embed_in_batches(forward: Callable[[torch.Tensor], torch.Tensor], pixels: np.ndarray, *,
                     device: torch.device, batch_size: int = 64) -> np.ndarray:
    """uint8 (n, S, S) -> float32 (n, dim) through `forward` in eval mode."""
    outputs = [forward(to_tensor(pixels[start:start + batch_size], device)).float().cpu().numpy()
               for start in range(0, len(pixels), batch_size)]
    return np.concatenate(outputs) if outputs else np.zeros((0, 0), np.float32)


def class_indices(labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(sorted class names, int64 index per label)."""
    classes = sorted(set(labels))
    lookup = {name: index for index, name in enumerate(classes)}
    return classes, np.asarray([lookup[label] for label in labels], np.int64)
