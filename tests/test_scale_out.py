"""The scale-out parts switched on by environment variables alone: PostgreSQL, a Redis
broker and a real Celery worker doing the embedding and indexing."""
import json
import os
import textwrap

import pytest

from tests.browser.conftest import write_subset_labels
from tests.servers import celery_worker, manage, postgres_server, redis_server, wait_until

pytestmark = pytest.mark.services

SEARCH_SNIPPET = textwrap.dedent("""
    import django, json, os, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbir.settings")
    django.setup()
    from django.test import Client
    from browser.accounts import create_user_with_role
    client = Client()
    client.force_login(create_user_with_role(username="scale-out", password="x", role="student"))
    with open(sys.argv[1], "rb") as handle:
        response = client.post("/api/search/", {"image": handle, "k": 5})
    print(json.dumps({"status": response.status_code, "body": response.json()}))
""")


def index_is_ready(environment) -> bool:
    result = manage(environment, "shell", "-c",
                    "from browser.models import IndexVersion; print(IndexVersion.objects.filter(status='ready').count())")
    return result.returncode == 0 and result.stdout.strip().endswith("1")


@pytest.fixture
def scale_out_environment(tmp_path, datasets_dir):
    with postgres_server(15532) as database_url, redis_server(tmp_path / "redis", 16579) as redis_url:
        environment = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": f"{redis_url}/0",
                       "CELERY_RESULT_BACKEND": f"{redis_url}/1", "CBIR_VAR_DIR": str(tmp_path / "var"),
                       "CBIR_DATASETS": str(datasets_dir), "DJANGO_SETTINGS_MODULE": "cbir.settings"}
        migrated = manage(environment, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr
        yield environment


def test_ingest_embeds_and_indexes_through_a_worker_on_postgres(scale_out_environment, datasets_dir, tmp_path):
    labels = write_subset_labels(datasets_dir, "brain_tumor_mri", 3, tmp_path / "labels.csv")
    with celery_worker(scale_out_environment, queues="celery,embed", log=tmp_path / "worker.log"):
        ingested = manage(scale_out_environment, "ingest_folder", str(datasets_dir / "brain_tumor_mri"),
                          "--labels", str(labels))
        assert ingested.returncode == 0, ingested.stderr
        assert "12 stored" in ingested.stdout

        wait_until(lambda: index_is_ready(scale_out_environment), seconds=120, what="index built by the worker")

    worker_log = (tmp_path / "worker.log").read_text()
    assert "extract_embeddings_task" in worker_log and "build_index_task" in worker_log
    query = sorted((datasets_dir / "brain_tumor_mri" / "images" / "glioma").glob("*.png"))[0]
    searched = manage(scale_out_environment, "shell", "-c", SEARCH_SNIPPET.replace("sys.argv[1]", repr(str(query))))
    answer = json.loads(searched.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200 and len(answer["body"]["results"]) == 5
