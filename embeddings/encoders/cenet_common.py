"""Shared plumbing of the CE-Net family of encoders (cenet, xception, unet-*, cenet-xception):
image tensors, the embedding reduction, checkpoint files and the embed loop."""
from __future__ import annotations

import json
from abc import abstractmethod
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image as PILImage
from torch import Tensor, nn

from embeddings.encoders.base import Encoder, InputSpec

REDUCTIONS = ("none", "pool", "pca")
EMBED_BATCH = 16
_EPS = 1e-6


def images_to_tensor(images: Sequence[np.ndarray], size: int) -> Tensor:
    """uint8 (H, W) images -> float32 (n, 1, size, size), each image z-scored on its own.

    Per-image standardisation because covid_ct mixes scanners, phone photos and figure crops
    whose brightness and contrast differ far more than anatomy does.
    """
    if len(images) == 0:
        return torch.zeros((0, 1, size, size))
    resized = np.stack([_resize(image, size, PILImage.BILINEAR) for image in images]).astype(np.float32)
    mean = resized.mean(axis=(1, 2), keepdims=True)
    std = resized.std(axis=(1, 2), keepdims=True)
    return torch.from_numpy((resized - mean) / (std + _EPS)).unsqueeze(1)


def masks_to_tensor(masks: Sequence[np.ndarray], size: int) -> Tensor:
    """uint8 {0, 1} masks -> float32 (n, 1, size, size) in {0, 1} (nearest-neighbour resize)."""
    resized = np.stack([_resize(mask, size, PILImage.NEAREST) for mask in masks]).astype(np.float32)
    return torch.from_numpy(np.minimum(resized, 1.0)).unsqueeze(1)


def _resize(image: np.ndarray, size: int, resample) -> np.ndarray:
    if image.ndim != 2:
        raise ValueError(f"CE-Net family encoders take 2D grayscale images, got shape {image.shape}")
    pil = PILImage.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    return np.asarray(pil.resize((size, size), resample))


class MapReducer:
    """Activation maps -> one searchable vector: `none` (flatten and concatenate, the paper's
    embedding), `pool` (global average pool of each map, then concatenate) or `pca` (the full
    vector centred and projected on the top `pca_dim` principal axes of the training set).

    `normalize_parts` L2-normalises each map's part of the vector per image before concatenation.
    Our choice, not the paper's: trained from scratch, CE-Net's RMP values reach 1e4-1e5 while
    Xception's last map stays near 1, so a raw concatenation is the RMP encoding alone.
    """

    def __init__(self, method: str, pca_dim: int, *, normalize_parts: bool = True):
        if method not in REDUCTIONS:
            raise ValueError(f"unknown reduction {method!r}; known: {', '.join(REDUCTIONS)}")
        self.method, self.pca_dim, self.normalize_parts = method, pca_dim, normalize_parts
        self.mean: np.ndarray | None = None  # (full_dim,)
        self.components: np.ndarray | None = None  # (pca_dim, full_dim)

    def dim(self, map_shapes: Sequence[tuple[int, ...]]) -> int:
        if self.method == "pool":
            return sum(shape[0] for shape in map_shapes)
        if self.method == "pca":
            return self.pca_dim if self.components is None else self.components.shape[0]
        return sum(int(np.prod(shape)) for shape in map_shapes)

    def fit(self, maps: Sequence[np.ndarray]) -> None:
        """Fit PCA on the training set's maps (no-op for none/pool)."""
        if self.method != "pca":
            return
        full = self._concatenate(maps).astype(np.float64)  # (n, full_dim)
        self.mean = full.mean(axis=0)
        _, _, axes = np.linalg.svd(full - self.mean, full_matrices=False)
        self.components = axes[: min(self.pca_dim, len(full) - 1)].astype(np.float32)

    def reduce(self, maps: Sequence[np.ndarray]) -> np.ndarray:  # maps (n, C, h, w) each -> (n, dim)
        vectors = self._concatenate(maps)
        if self.method != "pca":
            return vectors
        if self.components is None:
            raise RuntimeError("PCA reduction is used before it was fitted")
        return ((vectors - self.mean) @ self.components.T).astype(np.float32)

    def _concatenate(self, maps: Sequence[np.ndarray]) -> np.ndarray:  # -> (n, full_dim) or (n, sum C) for pool
        parts = [m.mean(axis=(2, 3)) if self.method == "pool" else m.reshape(len(m), -1) for m in maps]
        if self.normalize_parts:
            parts = [part / (np.linalg.norm(part, axis=1, keepdims=True) + _EPS) for part in parts]
        return np.concatenate(parts, axis=1).astype(np.float32)

    def state(self) -> dict[str, np.ndarray]:
        return {} if self.components is None else {"pca_mean": self.mean, "pca_components": self.components}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        if "pca_components" in arrays:
            self.mean, self.components = arrays["pca_mean"], arrays["pca_components"]


class MapEncoder(Encoder):
    """Base of encoders whose embedding is built from activation maps of torch networks.

    Subclasses set `networks` (name -> nn.Module) in `build_networks` and return the maps that
    make up the embedding from `activation_maps`. The constructor's keyword arguments are the
    config stored with every vector; `size` must be a multiple of 32.
    """

    trainable = True
    VERSION = "1"

    @classmethod
    def constructor_settings(cls) -> dict:
        """Keyword -> default of every constructor setting an `--option` may give (all but `size`)."""
        import inspect

        return {name: parameter.default for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if parameter.default is not inspect.Parameter.empty and name != "size"}

    @classmethod
    def accepted_options(cls) -> set[str]:
        """The stage settings plus the constructor's (training_cenet.encoder_kwargs reads them)."""
        return super().accepted_options() | set(cls.constructor_settings())

    def __init__(self, *, size: int = 128, reduction: str = "pca", pca_dim: int = 128, normalize_parts: bool = True,
                 **architecture):
        if size % 32:
            raise ValueError(f"size must be a multiple of 32, got {size}")
        self.input_spec = InputSpec(size=size)
        self.version = self.VERSION
        self.architecture = architecture
        self.reducer = MapReducer(reduction, pca_dim, normalize_parts=normalize_parts)
        self.networks: dict[str, nn.Module] = self.build_networks(**architecture)
        self.map_shapes = self._probe_map_shapes()

    @abstractmethod
    def build_networks(self, **architecture) -> dict[str, nn.Module]:
        """Create the untrained networks from the architecture config."""

    @abstractmethod
    def activation_maps(self, pixels: Tensor) -> list[Tensor]:
        """(B, 1, S, S) image tensor -> the maps (B, C, h, w) whose concatenation is the embedding."""

    @property
    def dim(self) -> int:
        return self.reducer.dim(self.map_shapes)

    @property
    def full_dim(self) -> int:
        """Length of the unreduced embedding (all maps flattened and concatenated)."""
        return sum(int(np.prod(shape)) for shape in self.map_shapes)

    def config(self) -> dict:
        return {"size": self.input_spec.size, "reduction": self.reducer.method, "pca_dim": self.reducer.pca_dim,
                "normalize_parts": self.reducer.normalize_parts, **self.architecture}

    def device(self) -> torch.device:
        return next(next(iter(self.networks.values())).parameters()).device

    def to(self, device: torch.device) -> "MapEncoder":
        for network in self.networks.values():
            network.to(device)
        return self

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return self.reducer.reduce(self.maps_of_images(images)) if len(images) else \
            np.zeros((0, self.dim), np.float32)

    def maps_of_images(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.maps_of_tensor(images_to_tensor(images, self.input_spec.size))

    @torch.inference_mode()
    def maps_of_tensor(self, pixels: Tensor) -> list[np.ndarray]:
        """(n, 1, S, S) -> the activation maps as float32 arrays, computed in eval mode in batches."""
        for network in self.networks.values():
            network.eval()
        device = self.device()
        batches = [self.activation_maps(pixels[start:start + EMBED_BATCH].to(device))
                   for start in range(0, len(pixels), EMBED_BATCH)]
        return [torch.cat([batch[i] for batch in batches]).float().cpu().numpy() for i in range(len(batches[0]))]

    def embedding_module(self) -> nn.Module:
        return EmbeddingModule(self)

    def save(self, checkpoint_dir: Path) -> None:
        checkpoint_dir = Path(checkpoint_dir)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        (checkpoint_dir / "config.json").write_text(json.dumps(
            {"encoder": self.name, "version": self.version, "config": self.config()}, indent=2))
        torch.save({name: network.state_dict() for name, network in self.networks.items()},
                   checkpoint_dir / "weights.pt")
        np.savez(checkpoint_dir / "reduction.npz", **self.reducer.state())

    @classmethod
    def load(cls, checkpoint_dir: Path) -> "MapEncoder":
        checkpoint_dir = Path(checkpoint_dir)
        stored = json.loads((checkpoint_dir / "config.json").read_text())
        encoder = cls(**_lists_to_tuples(stored["config"]))
        encoder.version = stored["version"]
        states = torch.load(checkpoint_dir / "weights.pt", map_location="cpu", weights_only=True)
        for name, network in encoder.networks.items():
            network.load_state_dict(states[name])
            network.eval()
        with np.load(checkpoint_dir / "reduction.npz") as arrays:
            encoder.reducer.load_state(dict(arrays))
        return encoder

    @torch.inference_mode()
    def _probe_map_shapes(self) -> list[tuple[int, ...]]:
        for network in self.networks.values():
            network.eval()
        probe = torch.zeros(1, 1, self.input_spec.size, self.input_spec.size)
        return [tuple(m.shape[1:]) for m in self.activation_maps(probe)]


def _lists_to_tuples(config: dict) -> dict:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in config.items()}


class EmbeddingModule(nn.Module):
    """embed() as one differentiable module, for similarity heatmaps: (B, 1, S, S) in [0, 1] ->
    (B, dim), with the same per-image standardisation, maps and reduction (PCA as a matmul)."""

    def __init__(self, encoder: MapEncoder):
        super().__init__()
        self.encoder = encoder
        self.networks = nn.ModuleDict(encoder.networks)  # registers the parameters
        reducer = encoder.reducer
        if reducer.method == "pca" and reducer.components is None:
            raise RuntimeError("PCA reduction is used before it was fitted")
        self.pca = None if reducer.method != "pca" else (torch.from_numpy(reducer.mean).float(),
                                                          torch.from_numpy(reducer.components).float())

    def forward(self, pixels: Tensor) -> Tensor:
        mean = pixels.mean(dim=(1, 2, 3), keepdim=True)
        std = pixels.std(dim=(1, 2, 3), keepdim=True, unbiased=False)
        maps = self.encoder.activation_maps((pixels - mean) / (std + _EPS))
        reducer = self.encoder.reducer
        parts = [m.mean(dim=(2, 3)) if reducer.method == "pool" else m.flatten(1) for m in maps]
        if reducer.normalize_parts:
            parts = [part / (part.norm(dim=1, keepdim=True) + _EPS) for part in parts]
        vectors = torch.cat(parts, dim=1)  # (B, full_dim) or (B, sum C) for pool
        if self.pca is None:
            return vectors
        pca_mean, components = (tensor.to(vectors.device) for tensor in self.pca)
        return (vectors - pca_mean) @ components.T  # (B, pca_dim)
