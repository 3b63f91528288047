"""Which labels count as normal findings (no halo in the graph)."""

NORMAL_LABELS = {"noncovid", "notumor", "no tumor", "no finding", "normal", "healthy"}


def is_abnormal(label: str) -> bool | None:
    """True for an abnormal finding, False for normal, None when the image has no label."""
    if not label:
        return None
    return label.strip().lower() not in NORMAL_LABELS
