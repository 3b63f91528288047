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
