"""Patient-level splits: every image of a group lands on the same side."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def patient_split(groups: Sequence[str], *, held_out_fraction: float = 0.2, seed: int = 0,
                  labels: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(kept indices, held-out indices), sorted; no group appears in both.

    Groups are shuffled with the seed and moved to the held-out side until it holds about
    `held_out_fraction` of the images; with labels, this is done per label (by each group's
    most common label) so every class is represented on both sides when it can be.
    """
    groups = list(groups)
    if not 0.0 < held_out_fraction < 1.0:
        raise ValueError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}")
    members = _members_by_group(groups)
    strata = _strata(members, labels)
    rng = np.random.default_rng(seed)
    held_out: list[int] = []
    for stratum in sorted(strata):
        held_out += _take_groups(strata[stratum], members, held_out_fraction, rng)
    held = np.zeros(len(groups), bool)
    held[held_out] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def _members_by_group(groups: list[str]) -> dict[str, list[int]]:
    members: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    return members


def _strata(members: dict[str, list[int]], labels: Sequence[str] | None) -> dict[str, list[str]]:
    strata: dict[str, list[str]] = {}
    for group, indices in sorted(members.items()):
        if labels is None:
            key = ""
        else:
            values, counts = np.unique([labels[i] for i in indices], return_counts=True)
            key = str(values[np.argmax(counts)])
        strata.setdefault(key, []).append(group)
    return strata


def _take_groups(names: list[str], members: dict[str, list[int]], fraction: float, rng) -> list[int]:
    total = sum(len(members[name]) for name in names)
    if len(names) < 2:
        return []  # one group cannot be split between both sides
    taken: list[int] = []
    for position in rng.permutation(len(names)):
        if len(taken) >= fraction * total:
            break
        if len(taken) + len(members[names[position]]) < total:
            taken += members[names[position]]
    return taken
