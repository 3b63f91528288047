"""Training service: load labelled folders, split by patient, fit, checkpoint, record and maybe activate.

Checkpoints live in CHECKPOINT_DIR/NAME/VERSION/: the encoder's own files (save()),
metrics.json (history and validation metrics) and training.json (data fingerprint, folders,
options). Resumable loop state sits in VERSION/work/ until the run finishes.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import math
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone as django_timezone

from cbir.errors import CbirError
from embeddings.datasets import LabelledImages, data_fingerprint, read_labelled_folders, sample_groups
from embeddings.encoders.base import Encoder, TrainingData, TrainingOptions
from embeddings.encoders.registry import TRAINING_FREE_ENCODERS, get_encoder_class
from embeddings.errors import DatasetError, TrainingError
from embeddings.evaluation import retrieval_map
from embeddings.models import EncoderVersion, TrainingRun
from embeddings.splits import patient_split

logger = logging.getLogger(__name__)

MAX_VALIDATION_FRACTION = 0.5


def train_encoder_version(*, name: str, dataset_dirs: Sequence[str | Path], options: TrainingOptions,
                          label_column: str = "label", activate: bool = False, max_images: int | None = None,
                          must_beat: Sequence[str] = (), progress=None) -> TrainingRun:
    """Train a new version of `name`; resumes an unfinished run with the same data and options.

    The version becomes active when `activate` is set, or when it beats the encoder's active
    version (if there is one) and the active versions of the `must_beat` encoders (e.g.
    "baseline") on the same validation images. Activation re-embeds every stored image and
    rebuilds the indexes. Raises UnknownEncoder, TrainingError, DatasetError.
    """
    encoder_class = _trainable_class(name)
    _check_finite_options(options)  # before any image is read
    _check_ranges(options)
    _check_option_keys(encoder_class, options)
    _check_validation_fraction(options.validation_fraction)
    images = sample_groups(read_labelled_folders(dataset_dirs, label_column=label_column).labelled(),
                           max_images, seed=options.seed)
    train, validation = _split(images, seed=options.seed, fraction=options.validation_fraction)
    run = _start_or_resume_run(name, images, dataset_dirs, options, label_column, max_images)
    with exclusive_run(run):
        try:
            result = encoder_class.fit(_training_data(train), _training_data(validation),
                                       dataclasses.replace(options, work_dir=Path(run.work_dir)), progress=progress)
        except BaseException as exc:  # interrupted runs are resumed later, so record them too
            TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.FAILED, error=repr(exc)[:2000])
            raise
        return _finish_run(run, result, validation, activate=activate, must_beat=must_beat)


@contextlib.contextmanager
def exclusive_run(run: TrainingRun):
    """Hold an OS lock on the run's folder while it trains: a second process asking for the same run
    (same encoder, data and options) is refused instead of training into the same work folder and
    overwriting the first one's checkpoint. The kernel drops the lock if the process dies, so a crashed
    run stays resumable."""
    lock_path = Path(run.work_dir).parent / "work.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrainingError(f"training run {run.pk} of {run.encoder_name}@{run.version} is already running "
                                "in another process; wait for it (or stop it) and run this again") from None
        try:
            yield
        finally:
            lock_path.unlink(missing_ok=True)


def _trainable_class(name: str) -> type[Encoder]:
    encoder_class = get_encoder_class(name)
    if name in TRAINING_FREE_ENCODERS or not encoder_class.trainable:
        raise TrainingError(f"encoder {name!r} is training-free; there is nothing to train")
    return encoder_class


def _check_finite_options(options: TrainingOptions) -> None:
    """A task's JSON can carry NaN or infinity, which no setting means and a run's stored options
    (JSON) cannot hold; refused by name instead of failing at the database."""
    values = {key: value for key, value in dataclasses.asdict(options).items() if key not in ("extra", "work_dir")}
    values |= {f"--option {key}": value for key, value in (options.extra or {}).items()}
    for key, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise TrainingError(f"{key} must be a finite number, got {value}")


def default_img_size(name: str) -> int:
    """The side an encoder trains at when none is given (the autoencoder follows paper 001's small inputs)."""
    return {"cnn-autoencoder": 64}.get(name, 128)


def training_options_from(name: str, values: dict) -> TrainingOptions:
    """A Celery task's options (TrainingOptions fields as JSON) -> TrainingOptions, refusing unknown fields
    by name and defaulting img_size as the command does; value checks follow in train_encoder_version."""
    fields = {field.name for field in dataclasses.fields(TrainingOptions)} - {"work_dir"}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise TrainingError(f"unknown training option {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
    return TrainingOptions(**({"img_size": default_img_size(name)} | values))


# Inclusive bounds of the numeric settings: below them a run trains nothing (0 epochs, 0 batches) or
# cannot build its network; above them it is a typo (1e20 epochs), not a plan.
OPTION_RANGES = {"epochs": (1, 100_000), "batch_size": (2, 4096), "img_size": (16, 2048), "patience": (1, 100_000)}


def _check_ranges(options: TrainingOptions) -> None:
    for key, (low, high) in OPTION_RANGES.items():
        value = getattr(options, key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TrainingError(f"{key} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise TrainingError(f"{key} must be between {low} and {high}, got {value}")


def _check_option_keys(encoder_class: type[Encoder], options: TrainingOptions) -> None:
    unknown = sorted(set(options.extra or {}) - encoder_class.accepted_options())
    if unknown:
        raise TrainingError(f"unknown --option {', '.join(unknown)} for {encoder_class.name}; "
                            f"it takes: {', '.join(sorted(encoder_class.accepted_options()))}")


def _check_validation_fraction(fraction: float) -> None:
    if not 0 < fraction <= MAX_VALIDATION_FRACTION:
        raise TrainingError(f"the validation fraction must be above 0 and at most {MAX_VALIDATION_FRACTION}, "
                            f"got {fraction}")


def _split(images: LabelledImages, *, seed: int, fraction: float) -> tuple[LabelledImages, LabelledImages]:
    if len(images) < 4:
        raise DatasetError(f"need at least 4 labelled images to train, found {len(images)}")
    kept, held_out = patient_split(images.groups, held_out_fraction=fraction, seed=seed,
                                   labels=images.labels)
    if len(held_out) == 0 or len(kept) == 0:
        raise DatasetError("the images belong to too few patients for a train/validation split")
    return images.subset(kept), images.subset(held_out)


def _training_data(images: LabelledImages) -> TrainingData:
    return TrainingData(images=images.load_pixels(), labels=list(images.labels), groups=list(images.groups))


def _options_record(options: TrainingOptions, label_column: str, max_images: int | None) -> dict:
    record = dataclasses.asdict(options) | {"label_column": label_column, "max_images": max_images}
    record.pop("work_dir")
    return json.loads(json.dumps(record, sort_keys=True))


def _start_or_resume_run(name: str, images: LabelledImages, dataset_dirs, options: TrainingOptions,
                         label_column: str, max_images: int | None) -> TrainingRun:
    fingerprint = data_fingerprint(images)
    record = _options_record(options, label_column, max_images)
    unfinished = TrainingRun.objects.filter(encoder_name=name, data_fingerprint=fingerprint,
                                            status__in=[TrainingRun.Status.RUNNING, TrainingRun.Status.FAILED])
    for run in unfinished:
        if run.options == record:
            TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.RUNNING, error="")
            logger.info("resuming training run %d of %s@%s", run.pk, name, run.version)
            run.refresh_from_db()
            return run
    version = new_version_name(name)
    return TrainingRun.objects.create(
        encoder_name=name, version=version, options=record, dataset_dirs=[str(Path(d).resolve()) for d in dataset_dirs],
        data_fingerprint=fingerprint, work_dir=str(checkpoint_dir(name, version) / "work"))


def new_version_name(name: str) -> str:
    """UTC timestamp, with a suffix when two runs start within the same second."""
    base = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    taken = set(EncoderVersion.objects.filter(name=name).values_list("version", flat=True)) | \
        set(TrainingRun.objects.filter(encoder_name=name).values_list("version", flat=True))
    version, suffix = base, 1
    while version in taken:
        suffix += 1
        version = f"{base}-{suffix}"
    return version


def checkpoint_dir(name: str, version: str) -> Path:
    return Path(settings.CHECKPOINT_DIR) / name / version


def _finish_run(run: TrainingRun, result, validation: LabelledImages, *, activate: bool,
                must_beat: Sequence[str]) -> TrainingRun:
    encoder = result.encoder
    encoder.version = run.version
    folder = checkpoint_dir(run.encoder_name, run.version)
    encoder.save(folder)
    _write_json(folder / "metrics.json", {"validation_map": result.validation_metric, "history": result.history})
    _write_json(folder / "training.json", {"data_fingerprint": run.data_fingerprint, "datasets": run.dataset_dirs,
                                           "options": run.options, "validation_images": len(validation)})
    active = EncoderVersion.objects.filter(name=run.encoder_name, is_active=True).first()
    active_metric = _validation_map_of(active, validation)
    rivals = {name: _validation_map_of(_active_or_none(name), validation) for name in must_beat}
    # update_or_create: a run that stopped between here and its end is finished again, not refused
    version, _ = EncoderVersion.objects.update_or_create(
        name=run.encoder_name, version=run.version, defaults=dict(
            dim=encoder.dim, config=encoder.config(), checkpoint_path=str(folder),
            metrics={"validation_map": result.validation_metric, "epochs": len(result.history),
                     "data_fingerprint": run.data_fingerprint, "rivals_validation_map": rivals}))
    is_better = (active is None or (active_metric is not None and result.validation_metric > active_metric)) and \
        all(metric is None or result.validation_metric > metric for metric in rivals.values())
    run.status, run.history, run.validation_metric = TrainingRun.Status.FINISHED, result.history, result.validation_metric
    run.active_validation_metric, run.is_activated, run.encoder_version = active_metric, activate or is_better, version
    run.finished_at = django_timezone.now()
    run.save()  # finished before activation: the trained version is kept whatever activation meets
    if run.is_activated:
        activate_version(version)
    shutil.rmtree(run.work_dir, ignore_errors=True)  # resumable state is no longer needed
    return run


def _active_or_none(name: str) -> EncoderVersion | None:
    from embeddings.services import get_active_version

    try:
        return get_active_version(name)
    except CbirError:
        return None


def _validation_map_of(version: EncoderVersion | None, validation: LabelledImages) -> float | None:
    """The given version's leave-one-out mAP on exactly these validation images."""
    if version is None:
        return None
    from embeddings.services import embed_pixels

    try:
        vectors = embed_pixels(validation.load_pixels(), version)
    except Exception as exc:  # a broken old checkpoint must not block a new version
        logger.warning("could not score active version %s: %s", version, exc)
        return None
    return retrieval_map(vectors, validation.labels, validation.groups)


def activate_version(version: EncoderVersion) -> None:
    """Make `version` its encoder's active one, then re-embed and re-index in the background.

    Queries keep using the previous version and its index until this one's index is published
    (browser.services.indexing.get_serving_version), so the swap is atomic for users.
    """
    from embeddings.services import embed_and_index_new_images

    with transaction.atomic():
        previous = EncoderVersion.objects.filter(name=version.name, is_active=True).exclude(pk=version.pk)
        was_default = previous.filter(is_default=True).exists()  # the default follows its encoder's new version
        previous.update(is_active=False, is_default=False)
        promoted = {"is_active": True} | ({"is_default": True} if was_default else {})
        EncoderVersion.objects.filter(pk=version.pk).update(**promoted)
        # robust: a failed re-embed is logged; the previous index keeps serving and build_index --all retries
        transaction.on_commit(lambda: embed_and_index_new_images(), robust=True)
    version.is_active = True
    version.is_default = version.is_default or was_default


def _write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, default=str))


def make_default(version: EncoderVersion) -> None:
    """Mark `version` as the one the UI searches with by default (at most one is)."""
    with transaction.atomic():
        EncoderVersion.objects.filter(is_default=True).exclude(pk=version.pk).update(is_default=False)
        EncoderVersion.objects.filter(pk=version.pk).update(is_default=True)
    version.is_default = True
