"""DDCML's discriminative loss (paper 000, eq. 4-5), shared by the autoencoders that use it.

For each sample x one other sample x_i of every class is drawn; P_i = softmax_i(-||f(x) - f(x_i)||²)
and the loss is the cross-entropy of x's own class under P. It pulls same-class latents together
and pushes other classes away in plain Euclidean distance, which is what retrieval ranks by.

Choice where the paper is vague: the x_i are drawn from the same mini-batch (the paper only says
"randomly selected from each associated class"); classes absent from the batch drop out of the
softmax, and a sample whose class has no other member in the batch contributes nothing.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminative_loss(latents: torch.Tensor, targets: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """latents (B, D), targets (B,) int64 -> scalar loss (0 when no sample has a same-class partner)."""
    classes = torch.unique(targets)
    partners = torch.stack([_draw_partners(targets, int(label), generator) for label in classes], dim=1)  # (B, C)
    valid = partners >= 0
    # partner rows picked by a one-hot product, not latents[partners]: that gather's backward accumulates
    # repeated indices in a thread-dependent order on CPU, which made identical runs differ
    selector = F.one_hot(partners.clamp(min=0), len(targets)).to(latents.dtype)  # (B, C, B)
    partner_latents = torch.einsum("bcn,nd->bcd", selector, latents)  # (B, C, D)
    distances = (latents.unsqueeze(1) - partner_latents).pow(2).sum(-1)  # (B, C)
    logits = (-distances).masked_fill(~valid, float("-inf"))
    own = (targets.unsqueeze(1) == classes.unsqueeze(0)).long().argmax(1)  # (B,) column of x's class
    usable = valid[torch.arange(len(targets), device=targets.device), own]
    if not usable.any():
        return latents.sum() * 0.0  # keeps the graph: the caller adds it to the reconstruction loss
    return F.cross_entropy(logits[usable], own[usable])


def _draw_partners(targets: torch.Tensor, label: int, generator: torch.Generator) -> torch.Tensor:
    """(B,) index of a random member of `label` other than the row itself, -1 when there is none."""
    members = torch.nonzero(targets == label).flatten()
    count = len(members)
    if count == 0:
        return torch.full_like(targets, -1)
    draws = torch.randint(count, (len(targets),), generator=generator).to(targets.device)  # CPU generator
    chosen = members[draws]
    is_self = chosen == torch.arange(len(targets), device=targets.device)
    if count == 1:
        return chosen.masked_fill(is_self, -1)
    # a row that drew itself takes the next member instead: still uniform over the others
    return torch.where(is_self, members[(draws + 1) % count], chosen)
