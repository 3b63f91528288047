"""'Why similar': similarity heatmaps of a query and a result, as PNG overlays."""
from __future__ import annotations

import base64

import numpy as np

from browser.services.indexing import get_serving_version
from cbir.errors import CbirError
from embeddings.services import load_encoder
from ingest.parsers import parse_image_bytes
from ingest.selectors import get_image
from ingest.storage import load_pixels, png_bytes


class HeatmapsUnsupported(CbirError):
    pass


def explain_similarity(*, result_id: int, encoder: str, query_image_id: int | None = None,
                       query_data: bytes | None = None) -> dict:
    """Heatmaps of where the query and the result match, for encoders that are networks."""
    version = get_serving_version(encoder)
    model = load_encoder(version)
    network = model.embedding_module()
    if network is None:
        raise HeatmapsUnsupported(f"encoder {version.name} is not a neural network: it has no similarity heatmaps; "
                                  "choose a trained encoder")
    query_pixels = query_pixels_of(query_image_id, query_data)
    result_pixels = load_pixels(get_image(result_id).pixels_path)
    query_square, result_square = model.network_pixels([query_pixels, result_pixels])
    maps = compute_heatmaps(network, query_square, result_square)
    from embeddings.heatmaps import overlay

    return {"encoder": version.name, "encoder_version": version.version, "similarity": round(maps.similarity, 6),
            "query_overlay": png_data_url(overlay(query_square, maps.query)),
            "result_overlay": png_data_url(overlay(result_square, maps.result))}


def query_pixels_of(query_image_id: int | None, query_data: bytes | None) -> np.ndarray:
    if (query_image_id is None) == (query_data is None):
        raise CbirError("give exactly one of query_image_id or an uploaded query image")
    if query_data is not None:
        return parse_image_bytes(query_data).pixels
    return load_pixels(get_image(query_image_id).pixels_path)


def compute_heatmaps(network, query: np.ndarray, result: np.ndarray):
    import torch

    from embeddings.heatmaps import similarity_heatmaps

    def tensor(pixels: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(pixels.astype(np.float32) / 255.0)[None, None]  # (1, 1, S, S)

    device = next(network.parameters()).device
    return similarity_heatmaps(network, tensor(query).to(device), tensor(result).to(device))


def png_data_url(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode("ascii")
