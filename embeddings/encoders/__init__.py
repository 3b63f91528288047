"""Encoder architectures and their registry (see registry.ENCODER_MODULES)."""
from embeddings.encoders.base import Encoder, InputSpec
from embeddings.encoders.registry import build_encoder, get_encoder_class, known_encoders, register_encoder

__all__ = ["Encoder", "InputSpec", "build_encoder", "get_encoder_class", "known_encoders", "register_encoder"]
