"""The index manager: recall on demand, the delta of new vectors, tombstones, recorded MRPT
parameters and atomic swap (a crash mid-build leaves the old index serving)."""
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone

from browser.models import IndexVersion
from browser.services import rebuild_index
from browser.services.serving import RecallPlan, plan_recall
from tests.browser.builders import baseline_version, bulk_images, make_image, random_vectors, store_vectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def repository():
    images = bulk_images(["a" if n % 2 else "b" for n in range(400)])
    vectors = random_vectors(400, seed=3)
    version = store_vectors(images, vectors)
    rebuild_index(version)
    return images, vectors


def search(api_client, **fields):
    response = api_client.post("/api/search/", fields, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def exact_neighbours(vectors: np.ndarray, images, query_row: int, k: int) -> list[int]:
    distances = np.linalg.norm(vectors - vectors[query_row], axis=1)
    order = [row for row in np.argsort(distances, kind="stable") if row != query_row]
    return [images[row].pk for row in order[:k]]


def test_index_version_records_the_chosen_mrpt_parameters(api_client, repository):
    record = IndexVersion.objects.get(status=IndexVersion.Status.READY)

    body = search(api_client, image_id=repository[0][0].pk, k=5)

    assert record.method == "mrpt"
    assert {"n_trees", "depth", "votes", "k", "target_recall", "recall_by_votes", "embedding_watermark"} <= set(record.params)
    assert body["query"]["index"]["target_recall"] == 0.9
    assert body["query"]["index"]["measured_recall"] == pytest.approx(record.measured_recall)
    assert body["query"]["index"]["served_by"] == "index"


def test_recall_one_is_served_exactly(api_client, repository):
    images, vectors = repository

    body = search(api_client, image_id=images[7].pk, k=20, recall=1.0)

    assert body["query"]["index"]["served_by"] == "exact"
    assert [r["id"] for r in body["results"]] == exact_neighbours(vectors, images, 7, 20)


def test_higher_recall_widens_the_candidate_set_and_meets_the_target(api_client, repository):
    images, vectors = repository
    record = IndexVersion.objects.get(status=IndexVersion.Status.READY)
    wanted = 0.99

    overlaps = []
    for row in range(0, 400, 20):
        body = search(api_client, image_id=images[row].pk, k=10, recall=wanted)
        truth = set(exact_neighbours(vectors, images, row, 10))
        overlaps.append(len(truth & {r["id"] for r in body["results"]}) / 10)

    assert record.measured_recall < wanted and body["query"]["index"]["served_by"] in {"votes", "exact"}
    assert body["query"]["index"]["expected_recall"] >= wanted
    assert np.mean(overlaps) >= wanted - 0.05  # 20 fresh queries; the table came from 100 probes


def test_plan_recall_picks_the_most_votes_that_reach_the_target():
    record = IndexVersion(method="mrpt", measured_recall=0.88,
                          params={"recall_by_votes": {"5": 0.88, "4": 0.93, "3": 0.97, "1": 0.995}})

    assert plan_recall(record, None) == RecallPlan("index", expected_recall=0.88)
    assert plan_recall(record, 0.85) == RecallPlan("index", expected_recall=0.88)
    assert plan_recall(record, 0.9) == RecallPlan("votes", votes_required=4, expected_recall=0.93)
    assert plan_recall(record, 0.99) == RecallPlan("votes", votes_required=1, expected_recall=0.995)
    assert plan_recall(record, 0.999).mode == "exact"
    assert plan_recall(IndexVersion(method="exact"), 0.99).mode == "exact"


def test_default_plan_keeps_the_index_target_when_probes_measure_less():
    table = {"5": 0.88, "4": 0.93, "3": 0.97}
    short = IndexVersion(method="mrpt", measured_recall=0.88, params={"target_recall": 0.9, "recall_by_votes": table})
    unreachable = IndexVersion(method="mrpt", measured_recall=0.88,
                               params={"target_recall": 0.99, "recall_by_votes": table})
    met = IndexVersion(method="mrpt", measured_recall=0.92, params={"target_recall": 0.9, "recall_by_votes": table})

    assert plan_recall(short, None) == RecallPlan("votes", votes_required=4, expected_recall=0.93)
    assert plan_recall(unreachable, None) == RecallPlan("index", expected_recall=0.88)  # never exact by default
    assert plan_recall(met, None) == RecallPlan("index", expected_recall=0.92)


def test_new_images_are_searchable_at_once_through_the_delta(api_client, repository):
    images, vectors = repository
    newcomer = make_image(label="a")
    store_vectors([newcomer], vectors[11:12] + 1e-4)  # nearly a copy of image 11

    body = search(api_client, image_id=images[11].pk, k=5)

    assert body["results"][0]["id"] == newcomer.pk
    assert body["query"]["index"]["delta_count"] == 1


def test_a_rebuild_folds_the_delta_in(api_client, repository):
    images, vectors = repository
    newcomer = make_image(label="a")
    store_vectors([newcomer], vectors[11:12] + 1e-4)

    rebuild_index(baseline_version())
    body = search(api_client, image_id=images[11].pk, k=5)

    assert body["results"][0]["id"] == newcomer.pk and body["query"]["index"]["delta_count"] == 0
    assert body["query"]["index"]["vector_count"] == 401


def test_ingestion_keeps_the_index_while_the_delta_is_small_and_rebuilds_once_it_outgrows_it(
        api_client, repository, settings):
    from browser.tasks import build_index_task

    images, vectors = repository
    settings.INDEX_REBUILD_MIN_DELTA, settings.INDEX_REBUILD_DELTA_SHARE = 10, 0.05  # 400 indexed: up to 20 new
    first = IndexVersion.objects.get(status=IndexVersion.Status.READY)
    newcomers = [make_image(label="a") for _ in range(21)]
    store_vectors(newcomers[:20], vectors[:20] + 1e-4)

    kept = build_index_task.delay(baseline_version().pk).get()
    body = search(api_client, image_id=images[11].pk, k=5)

    assert kept == first.pk and IndexVersion.objects.count() == 1
    assert body["results"][0]["id"] == newcomers[11].pk and body["query"]["index"]["delta_count"] == 20

    store_vectors(newcomers[20:], vectors[20:21] + 1e-4)  # 21 new: over max(10, 5 % of 400)
    rebuilt = build_index_task.delay(baseline_version().pk).get()

    assert rebuilt != first.pk and IndexVersion.objects.get(status=IndexVersion.Status.READY).vector_count == 421


def test_the_delta_a_queued_build_tolerates_is_capped_whatever_the_share_allows(repository, settings, monkeypatch):
    from browser.services import indexing
    from browser.tasks import build_index_task

    images, vectors = repository
    settings.INDEX_REBUILD_MIN_DELTA, settings.INDEX_REBUILD_DELTA_SHARE = 0, 0.5  # the share alone: 200 of 400
    monkeypatch.setattr(indexing, "DELTA_CEILING", 15)
    first = IndexVersion.objects.get(status=IndexVersion.Status.READY)
    store_vectors([make_image(label="a") for _ in range(16)], vectors[:16] + 1e-4)

    assert build_index_task.delay(baseline_version().pk).get() != first.pk


def test_builds_queued_behind_one_that_saw_every_vector_do_nothing_and_an_explicit_build_always_runs(
        repository, settings):
    from django.core.management import call_command

    from browser.tasks import build_index_task

    settings.INDEX_REBUILD_MIN_DELTA = 0
    first = IndexVersion.objects.get(status=IndexVersion.Status.READY)

    assert [build_index_task.delay(baseline_version().pk).get() for _ in range(3)] == [first.pk] * 3
    call_command("build_index", "--encoder", "baseline", stdout=open("/dev/null", "w"))
    assert IndexVersion.objects.filter(status=IndexVersion.Status.READY).get().pk != first.pk


def test_an_index_built_while_vectors_were_missing_is_rebuilt_by_the_next_ingestion(repository, settings):
    from browser.tasks import build_index_task

    first = IndexVersion.objects.get(status=IndexVersion.Status.READY)
    IndexVersion.objects.filter(pk=first.pk).update(params={**first.params, "complete": False})

    assert build_index_task.delay(baseline_version().pk).get() != first.pk


def test_a_vector_committed_after_a_higher_one_was_served_still_reaches_the_delta(api_client, repository):
    """Two embedding workers can commit out of id order: a row may appear below the highest id already read."""
    from embeddings.models import Embedding
    from embeddings.services import vector_bytes

    images, vectors = repository
    version = baseline_version()
    top = Embedding.objects.filter(encoder_version=version).order_by("-pk").first().pk
    early, late = make_image(label="a"), make_image(label="a")
    Embedding.objects.create(pk=top + 10, image=late, encoder_version=version, vector=vector_bytes(vectors[11] + 1e-4))
    assert search(api_client, image_id=images[11].pk, k=5)["query"]["index"]["delta_count"] == 1

    Embedding.objects.create(pk=top + 5, image=early, encoder_version=version, vector=vector_bytes(vectors[12] + 1e-4))
    body = search(api_client, image_id=images[12].pk, k=5)

    assert body["query"]["index"]["delta_count"] == 2 and body["results"][0]["id"] == early.pk


def test_an_image_released_from_quarantine_is_searchable_at_once_though_the_index_was_built_without_it(
        api_client, client_as, repository, django_capture_on_commit_callbacks):
    from ingest.models import Image

    images, vectors = repository
    twin = make_image(label="a")
    store_vectors([twin], vectors[11:12] + 1e-4)  # nearly a copy of image 11
    Image.objects.filter(pk=twin.pk).update(status=Image.Status.QUARANTINED, status_reason="burned-in text?")
    rebuild_index(baseline_version())  # built while the twin was held: without it

    with django_capture_on_commit_callbacks(execute=True):
        released = client_as("curator").post(f"/api/curation/quarantine/{twin.pk}/",
                                             {"reviewer_note": "text is outside the anatomy"}, format="json")
    body = search(api_client, image_id=images[11].pk, k=5)

    assert released.status_code == 200
    assert body["results"][0]["id"] == twin.pk


def test_quarantined_and_deleted_images_disappear_at_once(api_client, repository):
    from ingest.models import Image

    images, _ = repository
    before = [r["id"] for r in search(api_client, image_id=images[3].pk, k=10)["results"]]
    Image.objects.filter(pk=before[0]).update(status=Image.Status.QUARANTINED)
    Image.objects.filter(pk=before[1]).delete()

    after = [r["id"] for r in search(api_client, image_id=images[3].pk, k=10)["results"]]

    assert len(after) == 10 and before[0] not in after and before[1] not in after
    assert after[:8] == before[2:10]


def test_a_crash_mid_build_leaves_the_old_index_serving(api_client, repository, monkeypatch):
    from browser.services import indexing

    images, _ = repository
    serving = IndexVersion.objects.get(status=IndexVersion.Status.READY)
    before = search(api_client, image_id=images[5].pk, k=10)

    def crash_after_the_vectors(index, directory: Path):
        directory.mkdir(parents=True)
        np.save(directory / "vectors.npy", index.vectors)
        raise OSError("disk full")

    monkeypatch.setattr(indexing, "save_index", crash_after_the_vectors)
    with pytest.raises(OSError):
        rebuild_index(baseline_version())
    indexing.forget_loaded_indexes()  # as in a freshly started web process
    after = search(api_client, image_id=images[5].pk, k=10)

    failed = IndexVersion.objects.exclude(pk=serving.pk).get()
    assert failed.status == IndexVersion.Status.FAILED and "disk full" in failed.error
    assert after["query"]["index"]["id"] == serving.pk
    assert after["results"] == before["results"]
    assert not Path(indexing.index_directory(baseline_version(), failed.pk)).exists()
    assert not list(Path(indexing.index_directory(baseline_version(), failed.pk)).parent.glob("*.partial"))


def test_a_build_whose_process_died_is_closed_by_the_next_build(api_client, repository):
    from browser.services import indexing

    images, _ = repository
    version = baseline_version()
    # as a builder killed mid-build leaves it: a BUILDING row and a staging folder
    dead = IndexVersion.objects.create(encoder_version=version, path="", method="pending")
    staging = indexing.index_directory(version, dead.pk).with_name(f"{dead.pk:08d}.partial")
    staging.mkdir(parents=True)
    (staging / "vectors.npy").write_bytes(b"half")

    record = rebuild_index(version)

    dead.refresh_from_db()
    assert dead.status == IndexVersion.Status.FAILED and "interrupted" in dead.error
    assert not staging.exists()
    assert search(api_client, image_id=images[5].pk, k=3)["query"]["index"]["id"] == record.pk


def test_builds_of_one_version_take_turns_and_a_dead_holder_releases_its_turn(repository):
    from browser.services import indexing

    version = baseline_version()
    rebuild_index(version)  # creates the version's folder and its lock file
    lock = indexing.index_directory(version, 0).parent / "build.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
        "print('held', flush=True); time.sleep(60)"), str(lock)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    killed_at = {}

    def kill_holder():
        time.sleep(1.0)
        killed_at["time"] = timezone.now()
        holder.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_holder)
    killer.start()
    record = rebuild_index(version)  # waits for the holder's turn, which ends with its death
    killer.join()
    holder.wait()

    assert record.status == IndexVersion.Status.READY
    assert record.created_at >= killed_at["time"]


def test_the_next_good_build_is_swapped_in(api_client, repository):
    images, _ = repository
    first = search(api_client, image_id=images[5].pk, k=3)["query"]["index"]["id"]

    record = rebuild_index(baseline_version())
    second = search(api_client, image_id=images[5].pk, k=3)["query"]["index"]["id"]

    assert second == record.pk != first
    assert IndexVersion.objects.get(pk=first).status == IndexVersion.Status.RETIRED


def test_a_newly_activated_version_serves_only_once_its_index_is_published(api_client, repository,
                                                                             django_capture_on_commit_callbacks):
    from embeddings.models import EncoderVersion
    from embeddings.training_service import activate_version

    images, vectors = repository
    old = baseline_version()
    new = EncoderVersion.objects.create(name="baseline", version="test-new", dim=old.dim)

    with django_capture_on_commit_callbacks(execute=False):  # the background re-embed has not run yet
        activate_version(new)
    during = search(api_client, image_id=images[5].pk, k=5)["query"]
    store_vectors(images, vectors[::-1].copy(), version=new)
    published = rebuild_index(new)
    after = search(api_client, image_id=images[5].pk, k=5)["query"]

    assert EncoderVersion.objects.get(name="baseline", is_active=True) == new
    assert during["encoder_version"] == old.version
    assert during["index"]["id"] != published.pk and after["index"]["id"] == published.pk
    assert after["encoder_version"] == "test-new"
