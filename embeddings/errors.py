"""Errors of the embeddings app."""
from cbir.errors import CbirError, ServiceNotReady


class UnknownEncoder(CbirError):
    pass


class CheckpointUnavailable(ServiceNotReady):
    pass
