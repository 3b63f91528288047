"""Scale-out: the index split into shards searched by Celery tasks on queue "search" and merged by the
web process; a failing or silent shard is reported in query.shards instead of hanging the query."""
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from browser.indexes import shard_directory
from browser.models import IndexVersion
from browser.services import rebuild_index
from tests.browser.builders import bulk_images, make_image, random_vectors, store_vectors
from tests.browser.servers import running_celery_worker, running_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def sharded_repository(settings):
    settings.SEARCH_SHARDS = 2
    settings.ANN_MIN_POINTS = 150  # each 300-vector shard gets its own MRPT index
    images = bulk_images(["a" if n % 2 else "b" for n in range(600)])
    vectors = random_vectors(600, seed=9)
    rebuild_index(store_vectors(images, vectors))
    return images, vectors


def search(api_client, **fields):
    response = api_client.post("/api/search/", fields, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def exact_ids(images, vectors, row: int, k: int, rows=None) -> list[int]:
    rows = np.arange(len(images)) if rows is None else np.asarray(rows)
    distances = np.linalg.norm(vectors[rows] - vectors[row], axis=1)
    order = [rows[i] for i in np.argsort(distances, kind="stable") if rows[i] != row]
    return [images[i].pk for i in order[:k]]


def test_a_sharded_build_publishes_one_folder_per_shard(sharded_repository):
    record = IndexVersion.objects.get(status=IndexVersion.Status.READY)

    assert record.method == "sharded" and record.vector_count == 600
    assert [shard["k"] for shard in record.params["shards"]] == [50, 50]
    assert record.params["shard_methods"] == ["mrpt", "mrpt"]
    assert all(shard_directory(Path(record.path), n).is_dir() for n in range(2))


def test_a_process_keeps_only_the_newest_two_builds_of_shards_and_ids(api_client, sharded_repository):
    from browser.services import shards

    images, vectors = sharded_repository
    shards._shards.clear()
    shards._ids.clear()
    builds = []
    for _ in range(3):
        builds.append(rebuild_index(store_vectors([make_image(label="a")], vectors[:1])))
        search(api_client, image_id=images[0].pk, k=5)  # eager: this process is also the shard worker

    cached_builds = {Path(folder).parent.name for folder in shards._shards}
    assert cached_builds == {Path(record.path).name for record in builds[-2:]}
    assert len(shards._shards) == 4 and sorted(shards._ids) == [record.pk for record in builds[-2:]]


def test_ingestion_rebuilds_in_the_new_layout_once_search_shards_is_changed(api_client, sharded_repository, settings):
    from browser.tasks import build_index_task
    from tests.browser.builders import baseline_version

    images, vectors = sharded_repository
    settings.SEARCH_SHARDS = 3
    store_vectors([make_image(label="a")], vectors[:1])
    resharded = IndexVersion.objects.get(pk=build_index_task.delay(baseline_version().pk).get())
    settings.SEARCH_SHARDS = 0
    store_vectors([make_image(label="a")], vectors[1:2])
    unsharded = IndexVersion.objects.get(pk=build_index_task.delay(baseline_version().pk).get())

    assert resharded.method == "sharded" and len(resharded.params["shards"]) == 3
    assert unsharded.method == "mrpt" and search(api_client, image_id=images[0].pk, k=5)["query"]["index"]["delta_count"] == 0


def test_eager_scatter_gather_merges_the_shards_exactly_at_recall_one(api_client, sharded_repository):
    images, vectors = sharded_repository

    body = search(api_client, image_id=images[10].pk, k=15, recall=1.0)

    assert [r["id"] for r in body["results"]] == exact_ids(images, vectors, 10, 15)
    assert [s["status"] for s in body["query"]["shards"]] == ["ok", "ok"]
    assert body["query"]["index"]["served_by"] == "shards" and body["query"]["index"]["shard_count"] == 2


def test_eager_sharded_search_keeps_filters_and_the_delta(api_client, sharded_repository):
    images, vectors = sharded_repository
    newcomer = make_image(label="a")
    store_vectors([newcomer], vectors[10:11] + 1e-4)

    body = search(api_client, image_id=images[10].pk, k=20, label="a")

    assert body["results"][0]["id"] == newcomer.pk and len(body["results"]) == 20
    assert all(r["label"] == "a" for r in body["results"])


@pytest.fixture(scope="module")
def redis_and_workers(tmp_path_factory):
    """A real Redis and two real Celery workers consuming queue "search" (stopped workers first)."""
    directory = tmp_path_factory.mktemp("shard-services")
    with running_redis(directory / "redis") as redis_url:
        environment = {"DJANGO_SETTINGS_MODULE": "cbir.settings", "CELERY_BROKER_URL": f"{redis_url}/0",
                       "CELERY_RESULT_BACKEND": f"{redis_url}/1", "CELERY_TASK_ALWAYS_EAGER": "0",
                       "CBIR_VAR_DIR": str(directory / "var")}
        with running_celery_worker(name="shard-a", queues="search", environment=environment,
                                   directory=directory) as first, \
                running_celery_worker(name="shard-b", queues="search", environment=environment,
                                      directory=directory) as second:
            yield redis_url, [first, second]


@pytest.fixture
def celery_over_redis(redis_and_workers, settings):
    """Point this (web) process's Celery app at the real broker for one test."""
    from cbir.celery import app

    redis_url, workers = redis_and_workers
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=f"{redis_url}/0", result_backend=f"{redis_url}/1", task_always_eager=False)
    forget_connections(app)
    settings.SEARCH_SHARD_TIMEOUT = 10.0
    yield workers
    stop_result_listener(app)
    app.conf.update(saved)
    forget_connections(app)


def stop_result_listener(app) -> None:
    """The Redis result backend listens on pub/sub; close it before Redis goes away."""
    backend = app._backend_cache or getattr(app._local, "backend", None)
    consumer = getattr(backend, "result_consumer", None)
    if consumer is not None:
        consumer.stop()


def forget_connections(app) -> None:
    """Drop the app's cached broker pools and result backend so that they follow the new conf."""
    app._pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    app.amqp.__dict__.pop("producer_pool", None)
    app.amqp._producer_pool = None


@pytest.mark.services
def test_two_real_workers_answer_the_shards_and_the_merge_is_exact(api_client, sharded_repository,
                                                                   celery_over_redis):
    images, vectors = sharded_repository

    body = search(api_client, image_id=images[33].pk, k=12, recall=1.0)
    again = search(api_client, image_id=images[34].pk, k=12)

    assert [r["id"] for r in body["results"]] == exact_ids(images, vectors, 33, 12)
    assert [s["status"] for s in body["query"]["shards"]] == ["ok", "ok"]
    assert len(again["results"]) == 12 and [s["status"] for s in again["query"]["shards"]] == ["ok", "ok"]


@pytest.mark.services
def test_a_broken_shard_is_reported_and_the_others_still_answer(api_client, sharded_repository, celery_over_redis,
                                                               settings):
    images, vectors = sharded_repository
    record = IndexVersion.objects.get(status=IndexVersion.Status.READY)
    shutil.rmtree(shard_directory(Path(record.path), 1))

    body = search(api_client, image_id=images[40].pk, k=10, recall=1.0)

    shards = body["query"]["shards"]
    assert shards[0]["status"] == "ok" and shards[1]["status"] == "error"
    assert "FileNotFoundError" in shards[1]["error"] and str(settings.INDEX_DIR) not in shards[1]["error"]
    shard_zero = range(0, 600, 2)  # round robin: shard 0 holds the even rows
    assert [r["id"] for r in body["results"]] == exact_ids(images, vectors, 40, 10, rows=shard_zero)


@pytest.mark.services
def test_silent_workers_make_shards_time_out_instead_of_hanging(api_client, sharded_repository, celery_over_redis,
                                                               settings):
    images, _ = sharded_repository
    settings.SEARCH_SHARD_TIMEOUT = 0.5
    for worker in celery_over_redis:
        os.kill(worker.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        body = search(api_client, image_id=images[50].pk, k=10)
        elapsed = time.monotonic() - started
    finally:
        for worker in celery_over_redis:
            os.kill(worker.pid, signal.SIGCONT)

    assert [s["status"] for s in body["query"]["shards"]] == ["timeout", "timeout"]
    assert body["results"] == [] and elapsed < 2.5  # one 0.5 s round, no over-fetch retries


@pytest.mark.services
def test_shard_answers_do_not_pile_up_in_the_result_backend(api_client, sharded_repository, celery_over_redis,
                                                            redis_and_workers):
    import redis

    images, _ = sharded_repository
    backend = redis.Redis.from_url(f"{redis_and_workers[0]}/1")
    before = set(backend.scan_iter("celery-task-meta-*"))  # late answers of earlier tests' deadlines

    for row in (10, 11, 12):
        assert [s["status"] for s in search(api_client, image_id=images[row].pk, k=5)["query"]["shards"]] == ["ok"] * 2

    assert set(backend.scan_iter("celery-task-meta-*")) - before == set()  # read answers are deleted


@pytest.mark.services
def test_an_unreachable_broker_reports_every_shard_instead_of_failing_the_search(api_client, sharded_repository,
                                                                                 celery_over_redis):
    import socket

    from cbir.celery import app

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}"
    app.conf.update(broker_url=f"{dead}/0", result_backend=f"{dead}/1", broker_connection_max_retries=1,
                    task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.1})
    forget_connections(app)
    images, _ = sharded_repository

    body = search(api_client, image_id=images[20].pk, k=5)

    assert [s["status"] for s in body["query"]["shards"]] == ["error", "error"]
    assert all("broker unreachable" in s["error"] for s in body["query"]["shards"])
