"""The contract every encoder follows; torch-free so web processes can import it."""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, Sequence

import numpy as np

from embeddings.errors import TrainingError
from embeddings.pixels import resize_square


@dataclass(frozen=True)
class InputSpec:
    """What an encoder expects; callers pass uint8 grayscale arrays of any size."""

    size: int  # side of the square the encoder resizes to, in pixels
    channels: int = 1  # channels the network sees (grayscale is stacked when 3)
    spatial_dims: int = 2  # 2 for slices (H, W), 3 for volumes (D, H, W)

    def as_dict(self) -> dict:
        return asdict(self)


# `--option` keys the shared training loop (embeddings.training) reads for every network encoder.
LOOP_OPTION_KEYS = ("max_seconds", "weight_average_decay")


class Encoder(ABC):
    """Turns images into float32 vectors; one instance is one concrete model version."""

    name: ClassVar[str] = ""  # set by @register_encoder
    trainable: ClassVar[bool] = False
    option_keys: ClassVar[tuple[str, ...]] = ()  # the `--option` keys fit() reads besides the loop's
    input_spec: InputSpec
    dim: int
    version: str

    @classmethod
    def accepted_options(cls) -> set[str]:
        """Every `--option` key training this encoder uses; any other is a typo and is refused."""
        return set(cls.option_keys) | set(LOOP_OPTION_KEYS)

    @abstractmethod
    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """uint8 arrays (H, W) (or (D, H, W) for 3D) -> float32 array (n, dim)."""

    def config(self) -> dict:
        """The constructor arguments that rebuild this encoder (stored with every vector)."""
        return {}

    def embedding_module(self):
        """The torch module mapping (B, 1, S, S) floats in [0, 1] to (B, dim) embeddings, for
        similarity heatmaps; None for encoders that are not differentiable networks."""
        return None

    def network_pixels(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """uint8 (H, W) images -> uint8 (n, S, S): the squares embedding_module() is given (scaled to
        [0, 1]) and the heatmaps are drawn on. Plain bilinear resizing unless an encoder crops first."""
        return resize_square(images, self.input_spec.size)

    @classmethod
    def load(cls, checkpoint_dir: Path) -> "Encoder":
        """Rebuild a trained version from its checkpoint folder."""
        raise NotImplementedError(f"{cls.name} has no checkpoints")

    def save(self, checkpoint_dir: Path) -> None:
        """Write weights and config so that load() gives identical embeddings."""
        raise NotImplementedError(f"{self.name} has no checkpoints")

    @classmethod
    def fit(cls, train: "TrainingData", validation: "TrainingData", options: "TrainingOptions",
            *, progress=None) -> "FitResult":
        """Train a new model from scratch; trainable encoders override this.

        `progress(epoch, metrics: dict)` is called after every epoch when given.
        """
        raise NotImplementedError(f"{cls.name} needs no training")


@dataclass
class TrainingData:
    """Labelled images for training, as plain arrays (no ORM, no torch)."""

    images: list[np.ndarray]  # uint8 (H, W) each, any size
    labels: list[str]
    groups: list[str]  # patient (or duplicate-group) id per image: splits never separate a group
    masks: list[np.ndarray] | None = None  # optional uint8 {0,1} segmentation masks, same size as images


@dataclass(frozen=True)
class TrainingOptions:
    epochs: int = 10
    img_size: int = 128
    batch_size: int = 32
    learning_rate: float = 1e-3
    device: str = "auto"  # auto, cpu or cuda
    seed: int = 0
    patience: int = 5  # early stopping: epochs without validation improvement
    validation_fraction: float = 0.2  # share of patients held out for early stopping and activation
    work_dir: Path | None = None  # where fit() keeps resumable state between epochs
    extra: dict | None = None  # encoder-specific settings (embedding_dim, margin, ...)

    def setting(self, key: str, default: int | float | str | bool | tuple):
        """extra[key] (or `default`) as the type of `default`; a TrainingError names a wrong one.

        Values come from `--option KEY=VALUE` (already int, float or str) or from a task's JSON.
        Booleans also take "true"/"false"/1/0; tuples take a JSON list or "a,b,c", each item read
        as the type of the default's first item.
        """
        value = (self.extra or {}).get(key, default)
        if isinstance(default, tuple):
            return _as_tuple(key, value, default)
        try:
            return _as_kind(value, type(default))
        except TypeError:
            raise TrainingError(f"--option {key} takes {_KIND_NAMES[type(default)]}, got {value!r}") from None


def option_value(text: str) -> int | float | str:
    """`--option KEY=VALUE` text as a whole number, else a finite number, else the text itself
    (nan and inf stay text: no setting means them, and a run's options are stored as JSON)."""
    for convert in (int, float):
        try:
            value = convert(text)
        except ValueError:
            continue
        if math.isfinite(value):
            return value
    return text


def _as_kind(value, kind: type):
    """`value` as `kind` (bool, int, float or str) where that loses nothing, else TypeError."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is bool and str(value).lower() in _BOOLEAN_WORDS:
        return _BOOLEAN_WORDS[str(value).lower()]
    if kind is float and is_number:
        return float(value)
    if kind is int and is_number and float(value).is_integer():  # is_integer: False for nan and inf
        return int(value)
    if kind is str and isinstance(value, str):
        return value
    raise TypeError(kind)


def _as_tuple(key: str, value, default: tuple) -> tuple:
    kind = type(default[0]) if default else str
    items = value.split(",") if isinstance(value, str) else value
    if isinstance(items, (list, tuple)) and items:
        try:
            return tuple(_as_kind(_list_item(item, kind), kind) for item in items)
        except TypeError:
            pass
    raise TrainingError(f"--option {key} takes a comma-separated list of {_ITEM_NAMES[kind]}, got {value!r}")


def _list_item(item, kind: type):
    """An item of "a,b,c" is text: read as a number when the default's items are numbers."""
    if not isinstance(item, str):
        return item
    return option_value(item.strip()) if kind in (int, float) else item.strip()


_BOOLEAN_WORDS = {"true": True, "false": False, "1": True, "0": False}
_KIND_NAMES = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}
_ITEM_NAMES = {int: "whole numbers", float: "numbers", str: "words", bool: "true/false values"}


@dataclass
class FitResult:
    encoder: "Encoder"
    history: list[dict]  # one dict per epoch: loss, validation metric, seconds
    validation_metric: float  # higher is better (e.g. validation mAP)
