"""Pure retrieval metrics: hand-computed AP, P@k, R@k, bootstrap CI and ANN recall."""
import numpy as np
import pytest

from embeddings.evaluation import (
    ann_recall, average_precisions, bootstrap_ci95, precision_at, rank_reference, recall_at, retrieval_map, summarize)

# 1-D embeddings: reference at 10 (A), 20 (B), 30 (A), 40 (B).
REFERENCE = np.array([[10.0], [20.0], [30.0], [40.0]], np.float32)
REFERENCE_LABELS = ["A", "B", "A", "B"]
# q at 0 (A) ranks A,B,A,B; q at 26 (B) ranks A(30),B(20),B(40),A(10); the `todo` query is dropped upstream as "".
QUERIES = np.array([[0.0], [26.0], [5.0]], np.float32)
QUERY_LABELS = ["A", "B", ""]


def test_rank_reference_drops_unlabelled_queries():
    ranked = rank_reference(QUERIES, QUERY_LABELS, REFERENCE, REFERENCE_LABELS)

    assert ranked.relevance.tolist() == [[True, False, True, False], [False, True, True, False]]
    assert ranked.relevant_counts.tolist() == [2, 2]


def test_average_precision_matches_hand_computation():
    ranked = rank_reference(QUERIES, QUERY_LABELS, REFERENCE, REFERENCE_LABELS)

    aps = average_precisions(ranked)

    assert aps == pytest.approx([(1 / 1 + 2 / 3) / 2, (1 / 2 + 2 / 3) / 2])


def test_precision_and_recall_at_k_match_hand_computation():
    ranked = rank_reference(QUERIES, QUERY_LABELS, REFERENCE, REFERENCE_LABELS)

    assert precision_at(ranked, 1).tolist() == [1.0, 0.0]
    assert precision_at(ranked, 3) == pytest.approx([2 / 3, 2 / 3])
    assert recall_at(ranked, 1).tolist() == [0.5, 0.0]
    assert recall_at(ranked, 2).tolist() == [0.5, 0.5]
    assert recall_at(ranked, 3).tolist() == [1.0, 1.0]


def test_summarize_reports_overall_and_per_class_means():
    ranked = rank_reference(QUERIES, QUERY_LABELS, REFERENCE, REFERENCE_LABELS)

    summary = summarize(ranked, [1, 3])

    assert summary["map"] == pytest.approx(((1 + 2 / 3) / 2 + (1 / 2 + 2 / 3) / 2) / 2)
    assert summary["precision_at"] == {"1": 0.5, "3": pytest.approx(2 / 3)}
    assert summary["recall_at"] == {"1": 0.25, "3": 1.0}
    assert summary["per_class"]["A"]["map"] == pytest.approx((1 + 2 / 3) / 2)
    assert summary["per_class"]["B"]["precision_at"]["1"] == 0.0
    assert summary["map_ci95"][0] <= summary["map"] <= summary["map_ci95"][1]


def test_query_without_relevant_reference_scores_zero():
    ranked = rank_reference(np.zeros((1, 1), np.float32), ["C"], REFERENCE, REFERENCE_LABELS)

    assert average_precisions(ranked).tolist() == [0.0]
    assert recall_at(ranked, 4).tolist() == [0.0]


def test_retrieval_map_leaves_each_query_out():
    vectors = np.array([[0.0], [1.0], [10.0], [11.0]], np.float32)

    assert retrieval_map(vectors, ["a", "a", "b", "b"]) == 1.0


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible():
    values = np.random.default_rng(1).random(200)

    low, high = bootstrap_ci95(values)

    assert low < values.mean() < high
    assert bootstrap_ci95(values) == [low, high]


def test_the_interval_resamples_patients_not_their_slices():
    # 8 patients of 20 slices each, one AP value per patient: the slices carry no independent information
    per_patient = np.random.default_rng(2).random(8)
    values, groups = np.repeat(per_patient, 20), np.repeat([f"p{n}" for n in range(8)], 20)

    by_slice = np.diff(bootstrap_ci95(values))[0]
    by_patient = np.diff(bootstrap_ci95(values, groups=groups))[0]
    per_patient_only = np.diff(bootstrap_ci95(per_patient))[0]

    assert by_patient > 3 * by_slice  # slices resampled alone pretend to 160 independent queries
    assert by_patient == pytest.approx(per_patient_only, rel=0.25)


def test_ann_recall_uses_exact_search_below_mrpt_minimum():
    result = ann_recall(np.random.default_rng(0).random((40, 8), dtype=np.float32), np.zeros((3, 8), np.float32), 5)

    assert result["ann_recall"] == 1.0
    assert result["ann_method"] == "exact"
    assert "below" in result["ann_note"]


def test_ann_recall_measures_mrpt_against_exact_search():
    rng = np.random.default_rng(0)
    reference = rng.random((400, 16), dtype=np.float32)

    result = ann_recall(reference, rng.random((30, 16), dtype=np.float32), 10)

    assert result["ann_method"] == "mrpt"
    assert 0.5 < result["ann_recall"] <= 1.0


def test_the_validation_map_leaves_out_the_query_patients_other_images():
    # two patients of two slices each, slices of one patient identical: labels unrelated to the patients
    vectors = np.array([[0.0], [0.0], [10.0], [10.0]])
    labels, groups = ["a", "b", "a", "b"], ["p1", "p1", "p2", "p2"]

    with_own_patient = retrieval_map(vectors, labels)  # each nearest is the same patient's other slice
    other_patients_only = retrieval_map(vectors, labels, groups)

    assert with_own_patient == pytest.approx((1 / 2 + 1 / 3 + 1 / 2 + 1 / 3) / 4)
    assert other_patients_only == pytest.approx((1 + 1 / 2 + 1 + 1 / 2) / 4)
