"""'Why similar' heatmaps through the API."""
import base64
import io

import numpy as np
import pytest
from PIL import Image as PILImage

from embeddings.encoders import register_encoder
from embeddings.encoders.base import Encoder, InputSpec
from embeddings.models import EncoderVersion
from tests.factories import ingest_png, png_bytes

pytestmark = pytest.mark.django_db


@register_encoder("test-tiny-cnn")
class TinyCnnEncoder(Encoder):
    """A small fixed-seed conv net, standing in for a trained encoder."""

    def __init__(self):
        import torch
        from torch import nn

        torch.manual_seed(0)
        self.input_spec, self.dim, self.version = InputSpec(size=32), 8, "t1"
        self.network = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                                     nn.Linear(16, 8))

    def embed(self, images):
        import torch

        batch = torch.stack([torch.from_numpy(np.resize(i, (32, 32)).astype(np.float32) / 255)[None] for i in images])
        with torch.no_grad():
            return self.network(batch).numpy()

    def embedding_module(self):
        return self.network

    @classmethod
    def load(cls, checkpoint_dir):
        return cls()


@pytest.fixture
def tiny_cnn(tmp_path):
    return EncoderVersion.objects.create(name="test-tiny-cnn", version="t1", dim=8, is_active=True,
                                         checkpoint_path=str(tmp_path))


def decoded(data_url: str) -> PILImage.Image:
    return PILImage.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


def test_heatmaps_of_two_indexed_images(client_as, tiny_cnn):
    query, result = ingest_png(seed=1), ingest_png(seed=2)

    response = client_as("student").get(f"/api/images/{result.pk}/why-similar/?query_image_id={query.pk}"
                                        f"&encoder=test-tiny-cnn")

    assert response.status_code == 200, response.content
    body = response.json()
    assert -1.0 <= body["similarity"] <= 1.0 and body["encoder_version"] == "t1"
    assert decoded(body["query_overlay"]).size == (32, 32) and decoded(body["result_overlay"]).mode == "RGB"


def test_heatmaps_for_an_uploaded_query(client_as, tiny_cnn):
    result = ingest_png(seed=3)
    upload = io.BytesIO(png_bytes(seed=4))
    upload.name = "q.png"

    response = client_as("student").post("/api/why-similar/", {"image": upload, "result_id": result.pk,
                                                                "encoder": "test-tiny-cnn"}, format="multipart")

    assert response.status_code == 200 and response.json()["query_overlay"].startswith("data:image/png;base64,")


def test_the_baseline_has_no_heatmaps_and_says_so(client_as):
    query, result = ingest_png(seed=5), ingest_png(seed=6)

    response = client_as("student").get(f"/api/images/{result.pk}/why-similar/?query_image_id={query.pk}"
                                        "&encoder=baseline")

    assert response.status_code == 400 and "no similarity heatmaps" in response.json()["error"]


def test_a_query_is_required(client_as, tiny_cnn):
    result = ingest_png(seed=7)

    response = client_as("student").get(f"/api/images/{result.pk}/why-similar/?encoder=test-tiny-cnn")

    assert response.status_code == 400 and "exactly one of" in response.json()["error"]
