"""'Why similar': Grad-CAM adapted to similarity (JMIR Med Inform 2026, "Heatmaps of Image Similarity").

For a query q and a result r, the dot product s of their embeddings is back-propagated to the
last spatial feature maps A of each image; each channel is weighted by the spatial mean of its
gradient, and the weighted sum, rectified and upsampled, shows which regions of that image drove
the match. The paper combines Grad-CAM with the final convolutional and pooling layers but gives no
formula; this is similarity Grad-CAM as in Stylianou et al. (2019). We differentiate the raw dot
product, not the cosine: the cosine's gradient is orthogonal to the image's own embedding, which
cancels the channel weights of the image being explained. The cosine is still what we report.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class SimilarityHeatmaps:
    query: np.ndarray  # float32 (S, S) in [0, 1]
    result: np.ndarray  # float32 (S, S) in [0, 1]
    similarity: float  # cosine similarity of the two embeddings


def last_spatial_module(network: nn.Module, sample: torch.Tensor) -> nn.Module:
    """The module that, in execution order, last produces a (B, C, H, W) map with H, W > 1."""
    produced: list[nn.Module] = []

    def remember(module, _inputs, output):
        if isinstance(output, torch.Tensor) and output.dim() == 4 and min(output.shape[-2:]) > 1:
            produced.append(module)

    hook = in_this_thread(remember)
    hooks = [module.register_forward_hook(hook) for module in network.modules() if module is not network]
    try:
        with torch.no_grad():
            network(sample)
    finally:
        for hook in hooks:
            hook.remove()
    if not produced:
        raise ValueError("the network has no spatial feature maps to explain")
    return produced[-1]


def similarity_heatmaps(network: nn.Module, query: torch.Tensor, result: torch.Tensor) -> SimilarityHeatmaps:
    """query, result: (1, 1, S, S) in [0, 1]; network maps such tensors to (1, dim) embeddings."""
    network.eval()
    batch = torch.cat([query, result])  # (2, 1, S, S)
    layer = last_spatial_module(network, batch)
    captured = {}
    hook = layer.register_forward_hook(in_this_thread(lambda _m, _i, output: captured.__setitem__("maps", output)))
    try:
        embeddings = network(batch)  # (2, dim)
    finally:
        hook.remove()
    maps = captured["maps"]  # (2, C, h, w)
    (gradients,) = torch.autograd.grad((embeddings[0] * embeddings[1]).sum(), maps)
    similarity = F.cosine_similarity(embeddings[:1], embeddings[1:]).detach()
    weights = gradients.mean(dim=(2, 3), keepdim=True)  # (2, C, 1, 1)
    cams = F.relu((weights * maps).sum(dim=1, keepdim=True))  # (2, 1, h, w)
    cams = F.interpolate(cams, size=query.shape[-2:], mode="bilinear", align_corners=False)[:, 0]  # (2, S, S)
    normalised = [normalise(cam.detach().numpy()) for cam in cams]
    return SimilarityHeatmaps(query=normalised[0], result=normalised[1], similarity=float(similarity.detach()))


def in_this_thread(hook):
    """A forward hook that acts only for forward passes of the thread that registers it. The network is the
    process's cached encoder: a search in another server thread runs it too, and its maps must not replace
    ours (a wrong heatmap, or a graph without our gradient)."""
    owner = threading.get_ident()
    return lambda module, inputs, output: hook(module, inputs, output) if threading.get_ident() == owner else None


def normalise(cam: np.ndarray) -> np.ndarray:
    high = float(cam.max())
    return (cam / high).astype(np.float32) if high > 0 else np.zeros_like(cam, dtype=np.float32)


def overlay(pixels: np.ndarray, heatmap: np.ndarray, *, alpha: float = 0.45) -> np.ndarray:
    """uint8 (S, S) grayscale + heatmap in [0, 1] -> uint8 (S, S, 3), red where the match is strongest."""
    from matplotlib import colormaps

    colours = colormaps["jet"](heatmap)[..., :3]  # (S, S, 3) in [0, 1]
    gray = np.repeat((pixels.astype(np.float32) / 255.0)[..., None], 3, axis=2)
    return (np.clip((1 - alpha) * gray + alpha * colours, 0, 1) * 255).astype(np.uint8)
