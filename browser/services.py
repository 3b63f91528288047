"""Index building and search (filled in by the walking skeleton)."""


def forget_loaded_indexes() -> None:
    """Drop this process's cached indexes."""
