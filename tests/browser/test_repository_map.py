"""The repository map: t-SNE projection, the build_map command and GET /api/map/."""
import numpy as np
import pytest
from django.core.management import call_command

from browser.maps import project_to_map

pytestmark = pytest.mark.django_db


def test_projection_keeps_separated_clusters_apart():
    rng = np.random.default_rng(0)
    vectors = np.concatenate([rng.normal(0, 0.1, (30, 20)), rng.normal(3, 0.1, (30, 20))]).astype(np.float32)

    points = project_to_map(vectors)

    assert points.shape == (60, 2) and np.abs(points).max() <= 1.0 + 1e-6
    between = np.linalg.norm(points[:30].mean(0) - points[30:].mean(0))
    within = np.linalg.norm(points[:30] - points[:30].mean(0), axis=1).mean()
    assert between > 3 * within


def test_projection_handles_tiny_collections():
    assert project_to_map(np.zeros((0, 4), np.float32)).shape == (0, 2)
    assert project_to_map(np.ones((3, 4), np.float32)).shape == (3, 2)


def test_map_api_serves_every_image_and_filters(client_as, brain_repository, capsys):
    call_command("build_map")
    client = client_as("student")

    everything = client.get("/api/map/").json()
    gliomas = client.get("/api/map/?label=glioma").json()

    assert "60 points" in capsys.readouterr().out
    assert len(everything["points"]) == 60 and everything["encoder"] == "baseline"
    assert len(gliomas["points"]) == 15 and {p["label"] for p in gliomas["points"]} == {"glioma"}
    assert {"id", "x", "y", "thumbnail_url", "is_abnormal"} <= set(gliomas["points"][0])


def test_map_before_it_is_built_says_how_to_build_it(client_as, brain_repository):
    response = client_as("student").get("/api/map/")

    assert response.status_code == 503 and "manage.py build_map" in response.json()["error"]


def test_build_map_draws_the_version_that_serves_while_a_new_one_is_still_being_embedded(
        client_as, brain_repository, django_capture_on_commit_callbacks, capsys):
    from embeddings.models import EncoderVersion
    from embeddings.training_service import activate_version

    serving = EncoderVersion.objects.get(name="baseline", is_active=True)
    with django_capture_on_commit_callbacks(execute=False):  # the new version's re-embedding has not run yet
        activate_version(EncoderVersion.objects.create(name="baseline", version="re-embedding", dim=serving.dim))

    call_command("build_map")
    response = client_as("student").get("/api/map/")

    assert response.status_code == 200, response.content
    assert response.json()["version"] == serving.version and len(response.json()["points"]) == 60
    assert f"baseline@{serving.version}" in capsys.readouterr().out


def test_a_map_built_over_the_index_and_its_delta_is_current(brain_repository, settings):
    from browser.map_service import build_repository_map, is_map_current
    from embeddings.models import Embedding, EncoderVersion
    from ingest.models import Image
    from tests.browser.builders import make_image

    version = EncoderVersion.objects.get(name="baseline", is_active=True)
    newcomer = make_image(label="glioma")
    Image.objects.filter(pk=newcomer.pk).update(pixels_path=Image.objects.get(pk=brain_repository[0]).pixels_path)
    Embedding.objects.create(image=newcomer, encoder_version=version,
                             vector=Embedding.objects.filter(encoder_version=version).first().vector)  # in the delta

    build_repository_map(version)

    assert is_map_current(version)
