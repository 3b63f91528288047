"""Errors of the embeddings app."""
from cbir.errors import CbirError, ServiceNotReady


class UnknownEncoder(CbirError):
    pass


class CheckpointUnavailable(ServiceNotReady):
    pass


class DatasetError(CbirError):
    """A labelled-dataset folder is missing, empty or lacks the needed columns."""


class TrainingError(CbirError):
    pass
