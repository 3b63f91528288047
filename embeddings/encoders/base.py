"""The contract every encoder follows; torch-free so web processes can import it."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, Sequence

import numpy as np


@dataclass(frozen=True)
class InputSpec:
    """What an encoder expects; callers pass uint8 grayscale arrays of any size."""

    size: int  # side of the square the encoder resizes to, in pixels
    channels: int = 1  # channels the network sees (grayscale is stacked when 3)
    spatial_dims: int = 2  # 2 for slices (H, W), 3 for volumes (D, H, W)

    def as_dict(self) -> dict:
        return asdict(self)


class Encoder(ABC):
    """Turns images into float32 vectors; one instance is one concrete model version."""

    name: ClassVar[str] = ""  # set by @register_encoder
    trainable: ClassVar[bool] = False
    input_spec: InputSpec
    dim: int
    version: str

    @abstractmethod
    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """uint8 arrays (H, W) (or (D, H, W) for 3D) -> float32 array (n, dim)."""

    def config(self) -> dict:
        """The constructor arguments that rebuild this encoder (stored with every vector)."""
        return {}

    @classmethod
    def load(cls, checkpoint_dir: Path) -> "Encoder":
        """Rebuild a trained version from its checkpoint folder."""
        raise NotImplementedError(f"{cls.name} has no checkpoints")
