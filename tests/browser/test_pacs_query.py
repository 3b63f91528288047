"""Queries from a PACS over DICOMweb (WADO-RS) against a real Orthanc on loopback: one instance by
its three UIDs, a whole series answered with series-level results, and the error answers."""
import http.server
import logging
import threading

import pytest

# The Orthanc, pacs and mirrored_repository fixtures live in tests/browser/conftest.py (the UI tests use them too).
from tests.browser.conftest import MR_SERIES, SAMPLES, uids

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def post(api_client, **fields):
    return api_client.post("/api/search/", fields, format="json")


def test_instance_query_fetches_over_wado_and_finds_the_same_image_first(api_client, pacs, mirrored_repository):
    response = post(api_client, k=5, **uids(SAMPLES / "CT_small.dcm"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["results"][0]["id"] == mirrored_repository[SAMPLES / "CT_small.dcm"].pk
    assert body["results"][0]["distance"] < 1e-3
    assert body["query"]["source"] == "pacs-instance" and len(body["results"]) == 5
    assert {"fetch", "decode", "embed", "search", "graph"} <= set(body["query"]["timings_ms"])


def test_series_query_answers_with_series_ranked_by_aggregated_similarity(api_client, pacs, mirrored_repository):
    fields = uids(MR_SERIES[0])
    del fields["sop_uid"]

    response = post(api_client, k=3, **fields)

    assert response.status_code == 200, response.content
    body = response.json()
    top = body["results"][0]
    mirrored_series = mirrored_repository[MR_SERIES[0]].series_id
    assert body["query"]["level"] == "series" and body["query"]["slice_count"] == len(MR_SERIES)
    assert top["series_id"] == mirrored_series and top["level"] == "series"
    assert top["matched_slices"] == len(MR_SERIES) and top["score"] == pytest.approx(1.0, abs=1e-3)
    assert top["image_count"] == len(MR_SERIES)
    assert len({result["series_id"] for result in body["results"]}) == len(body["results"])
    scores = [result["score"] for result in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert "mean over all query slices" in body["query"]["aggregation"]


def test_a_series_longer_than_the_limit_is_sampled_evenly(api_client, pacs, mirrored_repository, settings):
    settings.PACS_MAX_SERIES_INSTANCES = 3
    fields = uids(MR_SERIES[0])
    del fields["sop_uid"]

    response = post(api_client, k=3, **fields)

    assert response.status_code == 200, response.content
    assert response.json()["query"]["slice_count"] == 3 < len(MR_SERIES)
    assert response.json()["results"][0]["series_id"] == mirrored_repository[MR_SERIES[0]].series_id


def test_an_enhanced_series_in_one_multi_frame_instance_is_searched_frame_by_frame(api_client, pacs,
                                                                                  mirrored_repository, settings):
    from tests.browser.servers import upload_to_orthanc

    enhanced = SAMPLES.parent / "pydicom-data" / "emri_small.dcm"  # one instance of 10 frames
    upload_to_orthanc(pacs, enhanced)
    fields = uids(enhanced)
    del fields["sop_uid"]

    whole = post(api_client, k=3, **fields)
    settings.PACS_MAX_SERIES_INSTANCES = 4
    sampled = post(api_client, k=3, **fields)

    assert whole.status_code == 200, whole.content
    assert whole.json()["query"]["slice_count"] == 10 and sampled.json()["query"]["slice_count"] == 4


def test_instance_numbers_that_are_missing_or_multi_valued_sort_first_instead_of_failing():
    import pydicom

    from browser.pacs import evenly_spaced, instance_number

    odd = pydicom.Dataset()
    odd.InstanceNumber = "1\\2"
    assert instance_number(odd) == 1 and instance_number(pydicom.Dataset()) == 0
    assert instance_number({"00200013": {"vr": "IS", "Value": [7]}}) == 7 and instance_number({}) == 0
    assert evenly_spaced(list(range(10)), 3) == [0, 4, 9] and evenly_spaced([1, 2], 5) == [1, 2]


def test_series_query_respects_filters(api_client, pacs, mirrored_repository):
    fields = uids(MR_SERIES[0])
    del fields["sop_uid"]

    body = post(api_client, k=5, modality="CT", **fields).json()

    assert body["results"] and all(result["modality"] == "CT" for result in body["results"])


def test_unknown_sop_uid_is_404_with_a_message(api_client, pacs, mirrored_repository):
    fields = uids(SAMPLES / "CT_small.dcm") | {"sop_uid": "1.2.3.4.5.6.7.8.9"}

    response = post(api_client, **fields)

    assert response.status_code == 404 and "no instance with these UIDs" in response.json()["error"]


def test_unknown_series_is_404_with_a_message(api_client, pacs, mirrored_repository):
    response = post(api_client, study_uid="1.2.3.4", series_uid="1.2.3.4.5")

    assert response.status_code == 404 and "series" in response.json()["error"]


def test_unreachable_pacs_is_502_with_a_message(api_client, settings, mirrored_repository):
    settings.PACS_DICOMWEB_URL = "http://127.0.0.1:9/dicom-web"  # discard port: nothing listens

    response = post(api_client, **uids(SAMPLES / "CT_small.dcm"))

    assert response.status_code == 502 and "unreachable" in response.json()["error"]


def test_wrong_pacs_credentials_are_502_with_a_message(api_client, pacs, settings, mirrored_repository):
    settings.PACS_PASSWORD = "wrong"

    response = post(api_client, **uids(SAMPLES / "CT_small.dcm"))

    assert response.status_code == 502 and "credentials" in response.json()["error"]


@pytest.mark.parametrize("fields, message", [
    ({"image_id": 1, "study_uid": "1.2", "series_uid": "1.2.3", "sop_uid": "1.2.3.4"}, "only one query source"),
    ({"study_uid": "1.2", "sop_uid": "1.2.3.4"}, "needs 'study_uid' and 'series_uid'"),
    ({"series_uid": "1.2.3"}, "needs 'study_uid' and 'series_uid'"),
    ({"study_uid": "1.2; DROP", "series_uid": "1.2.3"}, "study_uid"),
    ({"study_uid": "1.02.3", "series_uid": "1.2.3"}, "study_uid"),  # a leading zero (PS3.5 9.1)
    ({"study_uid": "1.2.3", "series_uid": "7"}, "series_uid"),  # one component is no UID
    ({"k": 5}, "exactly one of"),
])
def test_contradictory_or_malformed_uid_queries_are_400(api_client, fields, message):
    response = post(api_client, **fields)

    assert response.status_code == 400 and message in response.json()["error"]


def test_image_and_image_id_together_are_400(api_client):
    from tests.factories import png_bytes
    import io

    upload = io.BytesIO(png_bytes())
    upload.name = "q.png"
    response = api_client.post("/api/search/", {"image": upload, "image_id": 1})

    assert response.status_code == 400 and "only one query source" in response.json()["error"]


class BrokenPacs(http.server.BaseHTTPRequestHandler):
    """A PACS that answers WADO-RS badly: 204 without a body or content type, or a part that is not DICOM."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.rstrip("/").endswith(".1"):
            self.send_response(204)
            self.end_headers()
            return
        body = b"--b\r\nContent-Type: application/dicom\r\n\r\n" + b"not dicom" * 20 + b"\r\n--b--\r\n"
        self.send_response(200)
        self.send_header("Content-Type", 'multipart/related; type="application/dicom"; boundary=b')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def broken_pacs(settings):
    server = http.server.HTTPServer(("127.0.0.1", 0), BrokenPacs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.PACS_DICOMWEB_URL = f"http://127.0.0.1:{server.server_port}/dicom-web"
    yield server
    server.shutdown()


@pytest.mark.parametrize("sop_uid", ["1.2.3.9.1", "1.2.3.9.2"])
def test_a_pacs_answer_that_is_not_dicomweb_is_502_with_a_message(api_client, broken_pacs, mirrored_repository,
                                                                   sop_uid):
    response = post(api_client, study_uid="1.2.3.7", series_uid="1.2.3.8", sop_uid=sop_uid)

    assert response.status_code == 502 and "invalid DICOMweb answer" in response.json()["error"]


def test_a_pacs_that_does_not_answer_in_time_is_504_with_a_message(api_client, settings, mirrored_repository):
    import socket

    silent = socket.socket()  # accepts the connection (the kernel does), never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    settings.PACS_DICOMWEB_URL = f"http://127.0.0.1:{silent.getsockname()[1]}/dicom-web"
    settings.PACS_TIMEOUT_SECONDS = 0.5
    try:
        response = post(api_client, **uids(SAMPLES / "CT_small.dcm"))
    finally:
        silent.close()

    assert response.status_code == 504 and "did not answer within 0.5 s" in response.json()["error"]


def test_the_dicomweb_client_does_not_log_the_uids_it_retrieves(api_client, pacs, mirrored_repository, caplog):
    caplog.set_level(logging.INFO)
    query = uids(SAMPLES / "CT_small.dcm")

    assert post(api_client, **query).status_code == 200
    assert not [record for record in caplog.records if query["sop_uid"] in record.getMessage()]
