"""The vector index wrapper: MRPT vs exact, persistence, subsets, recall."""
import numpy as np
import pytest

from browser.indexes import (build_index, calibrate, euclidean_distances, load_index, measure_recall,
                             recall_probe_queries, save_index)


def clustered_vectors(n: int, dim: int = 32, clusters: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)) * 4
    return (centres[rng.integers(0, clusters, n)] + rng.normal(size=(n, dim))).astype(np.float32)


def test_build_index_uses_exact_search_below_the_minimum():
    vectors = clustered_vectors(100)

    index = build_index(np.arange(100), vectors, target_recall=0.9, k=10, min_points=200)

    assert index.method == "exact"


def test_build_index_autotunes_mrpt_with_enough_points():
    vectors = clustered_vectors(600)

    index = build_index(np.arange(600), vectors, target_recall=0.9, k=20, min_points=200)

    assert index.method == "mrpt"
    assert index.params["target_recall"] == 0.9 and index.params["n_trees"] >= 1


def test_search_returns_ids_sorted_by_exact_distance():
    vectors = clustered_vectors(600)
    ids = np.arange(600) * 10 + 5
    index = build_index(ids, vectors, target_recall=0.9, k=20, min_points=200)

    found, distances = index.search(vectors[42], 10)

    assert found[0] == ids[42] and distances[0] == pytest.approx(0.0, abs=1e-3)
    assert np.all(np.diff(distances) >= 0)
    rows = np.searchsorted(ids, found)
    assert np.allclose(distances, euclidean_distances(vectors[rows], vectors[42]), atol=1e-4)


def test_search_with_k_above_the_tuned_k_falls_back_to_exact():
    vectors = clustered_vectors(400)
    index = build_index(np.arange(400), vectors, target_recall=0.9, k=10, min_points=200)

    found, _ = index.search(vectors[0], 60)
    exact, _ = index.exact_search(vectors[0], 60)

    assert list(found) == list(exact)


def test_measured_recall_meets_target_within_tolerance_on_clustered_data():
    vectors = clustered_vectors(2000)
    index = build_index(np.arange(2000), vectors, target_recall=0.9, k=10, min_points=200)

    recall = measure_recall(index, recall_probe_queries(vectors, 100), 10)

    assert recall >= 0.85  # the tuner estimates from ~100 samples: allow its known ±0.035 scatter


def test_saved_and_loaded_index_answers_identically(tmp_path):
    vectors = clustered_vectors(500)
    index = build_index(np.arange(500), vectors, target_recall=0.9, k=20, min_points=200)
    save_index(index, tmp_path / "index")

    loaded = load_index(tmp_path / "index")

    assert loaded.method == "mrpt"
    for row in (0, 17, 333):
        assert list(loaded.search(vectors[row], 10)[0]) == list(index.search(vectors[row], 10)[0])


def test_exact_search_within_returns_only_allowed_ids():
    vectors = clustered_vectors(300)
    index = build_index(np.arange(300), vectors, target_recall=0.9, k=20, min_points=200)
    allowed = np.arange(0, 300, 7)

    found, _ = index.exact_search_within(vectors[1], allowed, 15)

    assert len(found) == 15 and set(found) <= set(allowed)


def test_empty_index_returns_nothing():
    index = build_index(np.zeros(0, np.int64), np.zeros((0, 8), np.float32), target_recall=0.9, k=10, min_points=200)

    found, distances = index.search(np.zeros(8, np.float32), 5)

    assert found.size == 0 and distances.size == 0


def test_a_query_far_from_the_data_is_answered_exactly_and_flagged():
    vectors = clustered_vectors(1500)
    index = build_index(np.arange(1500), vectors, target_recall=0.9, k=10, min_points=200)
    calibrate(index, vectors, 10)
    far_query = vectors.mean(axis=0) + 12.0  # beyond every cluster
    near_query = vectors[7] + 0.01

    far_ids, _, far_flag = index.search_checked(far_query, 10)
    _, _, near_flag = index.search_checked(near_query, 10)

    assert index.params["far_query_distance"] > 0
    assert far_flag and list(far_ids) == list(index.exact_search(far_query, 10)[0])
    assert not near_flag


def test_near_neighbours_of_long_vectors_keep_their_exact_order_and_a_vector_is_at_zero_from_itself():
    rng = np.random.default_rng(5)
    base = rng.normal(size=256).astype(np.float32) * 6.0  # norm about 96, as unnormalised autoencoder codes
    offsets = [0.0625, 0.016, 0.05, 0.03]
    vectors = np.stack([base + np.float32(offset) * np.eye(256, dtype=np.float32)[0] for offset in offsets])
    index = build_index(np.arange(10, 14), vectors, target_recall=0.9, k=4, min_points=200)

    ids, distances = index.search(base, 4)

    assert ids.tolist() == [11, 13, 12, 10]  # by offset: 0.016, 0.03, 0.05, 0.0625
    assert distances == pytest.approx(sorted(offsets), abs=1e-5)
    assert index.search(vectors[1], 1)[1][0] == pytest.approx(0.0, abs=1e-6)
