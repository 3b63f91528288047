"""Similarity Grad-CAM: the heatmap lights up where two images share what the network sees."""
import numpy as np
import torch
from torch import nn

from embeddings.heatmaps import last_spatial_module, overlay, similarity_heatmaps


class SumPoolNet(nn.Module):
    """A fixed network: 3x3 box filter, then per-quadrant sums as the embedding."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
        nn.init.constant_(self.conv.weight, 1 / 9)

    def forward(self, x):
        maps = torch.relu(self.conv(x))  # (B, 1, S, S)
        quadrants = nn.functional.adaptive_avg_pool2d(maps, 2)  # (B, 1, 2, 2)
        return quadrants.flatten(1) + 1e-3  # (B, 4)


def blob(side: int, row: slice, col: slice) -> torch.Tensor:
    image = torch.zeros(1, 1, side, side)
    image[..., row, col] = 1.0
    return image


def test_last_spatial_module_is_the_conv():
    network = SumPoolNet()

    assert last_spatial_module(network, torch.zeros(1, 1, 16, 16)) is network.conv


def test_shared_blob_is_where_the_heatmap_peaks():
    query = blob(32, slice(2, 10), slice(2, 10))
    result = blob(32, slice(4, 12), slice(3, 11)) + 0.2 * blob(32, slice(20, 30), slice(20, 30))

    maps = similarity_heatmaps(SumPoolNet(), query, result)

    assert maps.query.shape == (32, 32) and 0.0 <= maps.query.min() and maps.query.max() == 1.0
    peak = np.unravel_index(np.argmax(maps.result), maps.result.shape)
    assert peak[0] < 16 and peak[1] < 16  # in the quadrant both images share
    assert maps.similarity > 0.5


def test_overlay_is_rgb_of_the_image_size():
    pixels = np.full((8, 8), 128, np.uint8)

    image = overlay(pixels, np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8))

    assert image.shape == (8, 8, 3) and image.dtype == np.uint8
    assert image[7, 7, 0] > image[0, 0, 0]  # jet: hot end is red


def test_a_search_running_the_same_cached_network_in_another_server_thread_leaves_the_heatmaps_alone():
    import threading

    torch.manual_seed(0)
    network = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    query, result = torch.rand(1, 1, 24, 24), torch.rand(1, 1, 24, 24)
    alone = similarity_heatmaps(network, query, result)

    def search_in_another_thread(_module, _inputs, _output):
        # runs just after the explained layer: another request's forward pass (no gradient) interleaves here
        if threading.current_thread() is threading.main_thread():
            other = threading.Thread(target=lambda: network(torch.rand(3, 1, 24, 24)).detach())
            other.start()
            other.join()

    interleave = network[4].register_forward_hook(search_in_another_thread)
    try:
        shared = similarity_heatmaps(network, query, result)
    finally:
        interleave.remove()

    np.testing.assert_allclose(shared.query, alone.query, atol=1e-6)
    np.testing.assert_allclose(shared.result, alone.result, atol=1e-6)
