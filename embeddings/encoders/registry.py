"""Name -> encoder class. Architecture modules are imported lazily, on first use,
so that listing encoders (or serving the training-free baseline) never imports torch."""
from __future__ import annotations

import importlib

from embeddings.encoders.base import Encoder
from embeddings.errors import UnknownEncoder

# Every architecture module; importing one runs its @register_encoder.
ENCODER_MODULES: dict[str, str] = {
    "baseline": "embeddings.encoders.baseline",
    "googlenet-gem-arcface": "embeddings.encoders.googlenet_gem",
    "cnn-autoencoder": "embeddings.encoders.cnn_autoencoder",
    "cenet": "embeddings.encoders.cenet",
    "xception": "embeddings.encoders.xception",
    "cenet-xception": "embeddings.encoders.cenet_xception",
    "unet-me": "embeddings.encoders.unet",
    "unet-ml": "embeddings.encoders.unet",
}

# Encoders that need no training: their one version is created on first use.
TRAINING_FREE_ENCODERS = {"baseline"}

_ENCODERS: dict[str, type[Encoder]] = {}


def register_encoder(name: str):
    def add(encoder_class: type[Encoder]) -> type[Encoder]:
        if name in _ENCODERS:
            raise ValueError(f"encoder {name!r} is already registered")
        encoder_class.name = name
        _ENCODERS[name] = encoder_class
        return encoder_class

    return add


def known_encoders() -> list[str]:
    return sorted(set(ENCODER_MODULES) | set(_ENCODERS))


def get_encoder_class(name: str) -> type[Encoder]:
    if name not in _ENCODERS and name in ENCODER_MODULES:
        importlib.import_module(ENCODER_MODULES[name])
    if name not in _ENCODERS:
        raise UnknownEncoder(f"unknown encoder {name!r}; known: {', '.join(known_encoders())}")
    return _ENCODERS[name]


def build_encoder(name: str, **config) -> Encoder:
    return get_encoder_class(name)(**config)
