"""Short, budgeted training of every learned encoder for the demo (`manage.py train_demo_encoders`)."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from django.conf import settings

from embeddings.encoders.base import TrainingOptions
from embeddings.models import EncoderVersion, TrainingRun
from embeddings.training_service import make_default, train_encoder_version


DEMO_DATASETS = ("brain_tumor_mri", "covid_ct", "covid_chestxray")
DEMO_MAX_IMAGES = 900
# Part of each share kept for what the epoch clock does not see: reading images, scoring rivals, saving.
OVERHEAD_RESERVE = 0.25


@dataclasses.dataclass(frozen=True)
class DemoPlan:
    name: str
    budget_share: float  # of the total budget
    options: TrainingOptions


# Chosen on the demo's mixed sets (benchmarks/demo_quality.py, docs/BENCHMARKS.md "The demo's training"):
# about 4.5 + 1 minutes on 2 cores. The time caps (shares of the budget) only bite on slower or busier
# machines; GoogLeNet's one-cycle schedule is then fitted to the epochs that fit (training.py), so that a
# capped run still anneals instead of stopping at a high learning rate.
# GoogLeNet at 2e-3 or with 8 epochs ended below the baseline there; 1e-3 and 30 epochs of 96 px did not.
DEMO_PLANS = (
    DemoPlan("googlenet-gem-arcface", 0.75, TrainingOptions(epochs=30, img_size=96, batch_size=32, learning_rate=1e-3,
                                                            patience=30, extra={"embedding_dim": 256})),
    # no early stop for either: validation this early is noisy, and the best epoch is kept anyway
    DemoPlan("cnn-autoencoder", 0.25, TrainingOptions(epochs=30, img_size=64, batch_size=32, learning_rate=1e-3,
                                                      patience=30, extra={})),
)


def demo_dataset_dirs() -> list[Path]:
    return [Path(settings.DATASETS_DIR) / name for name in DEMO_DATASETS
            if (Path(settings.DATASETS_DIR) / name / "labels.csv").is_file()]


def train_demo_encoders(*, budget_minutes: float = 10.0, dataset_dirs=None, max_images: int = DEMO_MAX_IMAGES,
                        progress=None) -> list[TrainingRun]:
    """Train each learned encoder that has no version yet within its share of the budget.

    The budget is wall-clock from this call; an epoch that has started when it runs out
    still finishes, so a very small budget still trains one epoch per encoder.

    Each new version is activated only if it beats the baseline on the same validation
    images; the best activated one becomes the default encoder. Returns the new runs
    (empty when every learned encoder already has a trained version).
    """
    dataset_dirs = list(dataset_dirs or demo_dataset_dirs())
    deadline = time.monotonic() + budget_minutes * 60.0
    todo = [plan for plan in DEMO_PLANS if not EncoderVersion.objects.filter(name=plan.name).exists()]
    runs = []
    for position, plan in enumerate(todo):
        seconds = _training_seconds(deadline, plan, todo[position:])
        options = dataclasses.replace(plan.options, extra=(plan.options.extra or {}) | {"max_seconds": seconds})
        runs.append(train_encoder_version(name=plan.name, dataset_dirs=dataset_dirs, options=options,
                                          max_images=max_images, must_beat=["baseline"], progress=progress))
    _make_best_default(runs)
    return runs


def _training_seconds(deadline: float, plan: DemoPlan, remaining: list[DemoPlan]) -> float:
    """This plan's share of the time left, less a reserve for loading images, validation and saving."""
    share = plan.budget_share / sum(other.budget_share for other in remaining)
    return max(1.0, (deadline - time.monotonic()) * share * (1.0 - OVERHEAD_RESERVE))


def _make_best_default(runs: list[TrainingRun]) -> None:
    activated = [run for run in runs if run.is_activated]
    if activated:
        best = max(activated, key=lambda run: run.validation_metric)
        make_default(best.encoder_version)
