"""Keyword search (SQLite FTS5 here): keyword-only, hybrid (keywords filter, content ranks) and
reciprocal-rank fusion, and the keyword index kept in sync with images, reports and codes."""
import numpy as np
import pytest
from django.core.management import call_command

from browser import keywords
from tests.browser.builders import make_image, make_study, random_vectors, store_vectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def repository():
    """200 images, every 4th noted 'consolidation'; indexed (MRPT) over random vectors."""
    from browser.services import rebuild_index

    images = [make_image(label="covid" if n % 2 else "normal",
                         notes="patchy consolidation in the right lower lobe" if n % 4 == 0 else "clear lungs")
              for n in range(200)]
    version = store_vectors(images, random_vectors(200, seed=1))
    rebuild_index(version)
    return images


def search(api_client, **fields):
    response = api_client.post("/api/search/", fields, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_keyword_only_search_finds_notes_ranked_by_relevance(api_client, repository):
    body = search(api_client, q="consolidation", k=30)

    ids = [result["id"] for result in body["results"]]
    noted = {image.pk for image in repository if "consolidation" in image.notes}
    assert len(ids) == 30 and set(ids) <= noted
    assert body["query"]["ranking"] == "text" and body["query"]["index"] is None
    assert all(result["distance"] is None for result in body["results"])
    scores = [result["score"] for result in body["results"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0


def test_keyword_only_search_returns_all_matches_when_fewer_than_k(api_client, repository):
    body = search(api_client, q="consol", k=200)  # prefix match

    assert len(body["results"]) == 50


def test_keyword_only_search_applies_filters(api_client, repository):
    kept = search(api_client, q="consolidation", label="normal", k=100)
    dropped = search(api_client, q="consolidation", label="covid", k=100)

    assert len(kept["results"]) == 50 and all(result["label"] == "normal" for result in kept["results"])
    assert dropped["results"] == []  # every noted image is labelled normal


def test_hybrid_search_ranks_by_content_within_keyword_matches(api_client, repository):
    body = search(api_client, image_id=repository[1].pk, q="right lobe consolidation", k=20)

    noted = {image.pk for image in repository if "consolidation" in image.notes}
    distances = [result["distance"] for result in body["results"]]
    assert len(body["results"]) == 20 and {r["id"] for r in body["results"]} <= noted
    assert distances == sorted(distances)
    assert body["query"]["ranking"] == "filter" and body["query"]["q"] == "right lobe consolidation"


def test_hybrid_search_with_filter_still_returns_k(api_client, repository, monkeypatch):
    from browser.services import search as search_service

    monkeypatch.setattr(search_service, "SELECTIVE_FILTER_LIMIT", 3)  # over-fetch through MRPT

    body = search(api_client, image_id=repository[1].pk, q="clear", label="covid", k=60)

    assert len(body["results"]) == 60  # 100 covid images are all 'clear lungs'
    assert all(r["label"] == "covid" for r in body["results"])


def test_fused_ranking_mixes_content_and_text(api_client, repository):
    content_only = search(api_client, image_id=repository[1].pk, k=10)["results"]

    body = search(api_client, image_id=repository[1].pk, q="consolidation", ranking="fused", k=10)

    fused = [r["fused_score"] for r in body["results"]]
    assert len(body["results"]) == 10 and fused == sorted(fused, reverse=True)
    assert all(r["distance"] is not None for r in body["results"])
    noted = {image.pk for image in repository if "consolidation" in image.notes}
    top_content = content_only[0]["id"]
    # the best content hit and the best text hits both get in, each with one list's credit
    assert top_content in {r["id"] for r in body["results"]}
    assert {r["id"] for r in body["results"]} & noted


def test_a_fused_keyword_hit_without_a_vector_gets_no_similarity_score(api_client, repository):
    unembedded = make_image(notes="consolidation consolidation consolidation")  # the best text match, no vector
    call_command("rebuild_search_text")

    body = search(api_client, image_id=repository[1].pk, q="consolidation", ranking="fused", k=10)

    hit = next(r for r in body["results"] if r["id"] == unembedded.pk)
    others = [r for r in body["results"] if r["id"] != unembedded.pk]
    assert hit["distance"] is None and hit["score"] is None and hit["text_score"] is not None
    assert all(r["score"] == pytest.approx(1 / (1 + r["distance"]), abs=1e-5) for r in others)


def test_report_text_and_code_names_become_searchable_at_once(api_client, repository):
    from ingest.models import CodedConcept, Report

    study = make_study()
    image = make_image(study=study)
    report = Report.objects.create(study=study, source_key="k1", impression="suspected pneumothorax")
    CodedConcept.objects.create(system="http://snomed.info/sct", code="36118008", display="Pneumothorax",
                                report=report)
    CodedConcept.objects.create(system="http://snomed.info/sct", code="195967001", display="Asthma", study=study)

    by_report = search(api_client, q="pneumothorax", k=5)
    by_code = search(api_client, q="asthma", k=5)

    assert [r["id"] for r in by_report["results"]] == [image.pk]
    assert [r["id"] for r in by_code["results"]] == [image.pk]


def test_codes_are_found_on_every_study_of_the_patient_and_from_the_report_itself(api_client, repository):
    from ingest.models import CodedConcept, Patient, Report

    patient = Patient.objects.create(pseudonym="pt-x")
    first, second = make_image(study=make_study(pseudonym="pt-x")), make_image(study=make_study(pseudonym="pt-x"))
    CodedConcept.objects.create(system="http://hl7.org/fhir/sid/icd-10", code="C71.9",
                                display="Malignant neoplasm of brain", patient=patient)
    reported = make_image(study=make_study())
    Report.objects.create(study=reported.series.study, source_key="loinc", code_system="http://loinc.org",
                          code="24627-2", text="chest CT")
    call_command("rebuild_search_text")

    by_display = search(api_client, q="neoplasm", k=10)
    by_report_code = search(api_client, q="24627", k=10)

    assert {r["id"] for r in by_display["results"]} == {first.pk, second.pk}
    assert [r["id"] for r in by_report_code["results"]] == [reported.pk]


def test_a_dotted_code_is_searched_as_one_code_not_as_two_numbers(api_client, repository):
    from ingest.models import CodedConcept

    other = make_image(study=make_study(), notes="lesion of 9 mm")
    CodedConcept.objects.create(system="http://hl7.org/fhir/sid/icd-10", code="C71.0", study=other.series.study)
    wanted = make_image(study=make_study())
    CodedConcept.objects.create(system="http://hl7.org/fhir/sid/icd-10", code="C71.9", study=wanted.series.study)
    call_command("rebuild_search_text")

    assert [r["id"] for r in search(api_client, q="C71.9", k=10)["results"]] == [wanted.pk]
    assert {r["id"] for r in search(api_client, q="C71", k=10)["results"]} == {other.pk, wanted.pk}


def test_deleted_and_quarantined_images_leave_keyword_results(api_client, repository):
    from ingest.models import Image

    deleted, quarantined = make_image(notes="rare sarcoidosis"), make_image(notes="rare sarcoidosis")
    kept = make_image(notes="rare sarcoidosis")
    deleted.delete()
    Image.objects.filter(pk=quarantined.pk).update(status=Image.Status.QUARANTINED)

    body = search(api_client, q="sarcoidosis", k=5)

    assert [r["id"] for r in body["results"]] == [kept.pk]


def test_rebuild_command_restores_the_keyword_index(api_client, repository):
    keywords.clear_texts()
    assert search(api_client, q="consolidation", k=5)["results"] == []

    call_command("rebuild_search_text")

    assert len(search(api_client, q="consolidation", k=5)["results"]) == 5


@pytest.mark.parametrize("text", ['"unbalanced', "consolidation OR (", "NEAR(a b)", "col:x*", "-"])
def test_query_syntax_is_never_passed_through(api_client, repository, text):
    response = api_client.post("/api/search/", {"q": text, "k": 5}, format="json")

    assert response.status_code == 200, response.content


def test_fts5_query_quotes_every_word():
    assert keywords.fts5_query(keywords.query_words('Lobe "x" OR')) == '"lobe"* AND "x"* AND "or"*'


def test_fused_ranking_without_an_image_is_refused(api_client, repository):
    response = api_client.post("/api/search/", {"q": "consolidation", "ranking": "fused"}, format="json")

    assert response.status_code == 400 and "fused" in response.json()["error"]


def test_reciprocal_rank_fusion_sums_reciprocal_ranks():
    from browser.ranking import reciprocal_rank_fusion

    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 4]], constant=60)

    assert [item for item, _ in fused] == [3, 1, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)
    assert np.isclose(fused[1][1], 1 / 61)


def test_quarantined_matches_neither_crowd_out_nor_shorten_keyword_and_fused_results(api_client, repository):
    from ingest.models import Image

    for n in range(12):  # better keyword matches than any searchable image, but quarantined
        image = make_image(notes="consolidation consolidation consolidation consolidation")
        image.status = Image.Status.QUARANTINED
        image.save()

    keyword_only = search(api_client, q="consolidation", k=5)
    fused = search(api_client, image_id=repository[1].pk, q="consolidation", ranking="fused", k=5)

    searchable = {image.pk for image in repository}
    assert len(keyword_only["results"]) == 5 and {r["id"] for r in keyword_only["results"]} <= searchable
    assert keyword_only["results"][0]["score"] == pytest.approx(1.0)
    assert len(fused["results"]) == 5 and {r["id"] for r in fused["results"]} <= searchable


def test_a_q_without_words_leaves_a_content_query_alone(api_client, repository):
    body = search(api_client, image_id=repository[1].pk, q="?", k=10)

    assert len(body["results"]) == 10
