"""Saved searches: save with filters and encoder version, re-run, export CSV."""
import csv
import io

import pytest

from browser.models import AuditEvent, SavedSearch

pytestmark = pytest.mark.django_db


def glioma_upload(datasets_dir):
    path = sorted((datasets_dir / "brain_tumor_mri" / "images" / "glioma").glob("*.png"))[0]
    handle = io.BytesIO(path.read_bytes())
    handle.name = path.name
    return handle


def test_saved_upload_keeps_only_the_vector_and_reruns_identically(client_as, brain_repository, datasets_dir):
    researcher = client_as("researcher")

    saved = researcher.post("/api/saved-searches/", {"name": "gliomas", "k": 8, "filters": {"label": "glioma"},
                                                      "image_id": brain_repository[0]}, format="json").json()
    first = researcher.post(f"/api/saved-searches/{saved['id']}/run/").json()
    second = researcher.post(f"/api/saved-searches/{saved['id']}/run/").json()

    assert saved["encoder"] == "baseline" and saved["parameters"]["filters"] == {"label": "glioma"}
    assert [r["id"] for r in first["results"]] == [r["id"] for r in second["results"]]
    assert len(first["results"]) == 8 and {r["label"] for r in first["results"]} == {"glioma"}


def test_uploaded_query_is_saved_as_a_vector_not_an_image(client_as, brain_repository, datasets_dir):
    researcher = client_as("researcher")

    saved = researcher.post("/api/saved-searches/", {"name": "upload", "image": glioma_upload(datasets_dir), "k": 5},
                            format="multipart").json()
    rerun = researcher.post(f"/api/saved-searches/{saved['id']}/run/").json()

    stored = SavedSearch.objects.get(pk=saved["id"])
    assert saved["has_uploaded_query"] and len(bytes(stored.query_vector)) == 4 * stored.encoder_version.dim
    assert len(rerun["results"]) == 5 and rerun["query"]["saved_search"]["id"] == saved["id"]


def test_an_uploaded_query_saved_under_an_older_encoder_version_says_so_when_run(client_as, brain_repository,
                                                                                  datasets_dir, monkeypatch):
    from browser.services import indexing
    from embeddings.models import EncoderVersion

    researcher = client_as("researcher")
    saved = researcher.post("/api/saved-searches/", {"name": "upload", "image": glioma_upload(datasets_dir), "k": 5},
                            format="multipart").json()
    current = researcher.post(f"/api/saved-searches/{saved['id']}/run/").json()
    newer = EncoderVersion.objects.create(name="baseline", version="2", dim=8)
    monkeypatch.setattr(indexing, "get_serving_version", lambda name: newer)  # as once version 2's index is complete

    outdated = researcher.post(f"/api/saved-searches/{saved['id']}/run/").json()

    assert current["query"]["saved_search"]["outdated"] == ""
    note = outdated["query"]["saved_search"]["outdated"]
    assert "baseline@1" in note and "@2" in note and "upload the query image again" in note
    assert len(outdated["results"]) == 5  # it still answers, from the version it was saved with


def test_filters_of_a_multipart_save_are_a_json_string(client_as, brain_repository, datasets_dir):
    researcher = client_as("researcher")

    good = researcher.post("/api/saved-searches/", {"name": "a", "image": glioma_upload(datasets_dir),
                                                     "filters": '{"modality": "MR"}'}, format="multipart")
    bad = researcher.post("/api/saved-searches/", {"name": "b", "image": glioma_upload(datasets_dir),
                                                    "filters": "modality=MR"}, format="multipart")

    assert good.status_code == 201 and good.json()["parameters"]["filters"] == {"modality": "MR"}
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]


def test_unknown_filter_names_are_refused(client_as, brain_repository):
    response = client_as("researcher").post("/api/saved-searches/", {"name": "x", "image_id": brain_repository[0],
                                                                     "filters": {"colour": "red"}}, format="json")

    assert response.status_code == 400 and "unknown filter" in response.json()["error"]


def test_export_csv_lists_the_rerun_results_and_is_audited(client_as, brain_repository):
    researcher = client_as("researcher")
    saved = researcher.post("/api/saved-searches/", {"name": "x", "image_id": brain_repository[3], "k": 6},
                            format="json").json()

    response = researcher.get(f"/api/saved-searches/{saved['id']}/export/")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv") and len(rows) == 6
    assert [int(row["rank"]) for row in rows] == [1, 2, 3, 4, 5, 6] and rows[0]["label"]
    assert AuditEvent.objects.filter(action="export", target=f"saved_search:{saved['id']}").exists()


def test_saved_searches_are_private_to_their_owner(client_as, brain_repository):
    saved = client_as("researcher").post("/api/saved-searches/", {"name": "mine", "image_id": brain_repository[0]},
                                         format="json").json()

    other = client_as("researcher").post(f"/api/saved-searches/{saved['id']}/run/")

    assert other.status_code == 404


def test_a_saved_search_needs_something_to_search_for(client_as, brain_repository):
    response = client_as("researcher").post("/api/saved-searches/", {"name": "empty"}, format="json")

    assert response.status_code == 400 and "needs an image" in response.json()["error"]


def test_an_uploaded_query_over_the_size_limit_is_refused(client_as, brain_repository, datasets_dir, settings):
    settings.MAX_UPLOAD_BYTES = 100

    response = client_as("researcher").post("/api/saved-searches/", {"name": "big", "image": glioma_upload(datasets_dir)},
                                            format="multipart")

    assert response.status_code == 400 and "over the limit" in response.json()["error"]
    assert not SavedSearch.objects.exists()


def test_a_teaching_set_filter_must_be_visible_when_saving_and_when_running(client_as, brain_repository):
    educator, researcher = client_as("educator"), client_as("researcher")
    teaching_set = educator.post("/api/teaching-sets/", {"title": "private"}, format="json").json()
    payload = {"name": "by set", "image_id": brain_repository[0], "filters": {"teaching_set": teaching_set["id"]}}

    refused = researcher.post("/api/saved-searches/", payload, format="json")
    educator.patch(f"/api/teaching-sets/{teaching_set['id']}/", {"is_shared_with_students": True}, format="json")
    saved = researcher.post("/api/saved-searches/", payload, format="json")
    educator.patch(f"/api/teaching-sets/{teaching_set['id']}/", {"is_shared_with_students": False}, format="json")
    rerun = researcher.post(f"/api/saved-searches/{saved.json()['id']}/run/")

    assert refused.status_code == 400 and "no teaching set" in str(refused.json())
    assert saved.status_code == 201
    assert rerun.status_code == 400 and "may no longer see" in rerun.json()["error"]


def test_keyword_only_saved_search_refuses_fused_ranking_as_search_does(client_as, brain_repository):
    response = client_as("researcher").post("/api/saved-searches/", {"name": "n", "q": "glioma", "ranking": "fused"},
                                            format="json")

    assert response.status_code == 400 and "needs an image query" in response.json()["error"]
    assert not SavedSearch.objects.exists()
