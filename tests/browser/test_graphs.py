"""The proximity graph: query hub, mutual-neighbour edges, communities."""
import numpy as np
import pytest

from browser.graphs import QUERY_NODE, build_proximity_graph, mutual_neighbour_pairs, similarity_score


def test_similarity_score_is_one_at_zero_distance_and_decreases():
    assert similarity_score(0.0) == 1.0
    assert similarity_score(1.0) > similarity_score(2.0)


def test_every_result_is_linked_to_the_query_with_its_distance():
    vectors = np.eye(4, dtype=np.float32)

    graph = build_proximity_graph([10, 11, 12, 13], np.array([0.1, 0.2, 0.3, 0.4]), vectors)

    query_edges = {edge["target"]: edge for edge in graph.edges if edge["source"] == QUERY_NODE}
    assert set(query_edges) == {10, 11, 12, 13}
    assert abs(query_edges[12]["distance"] - 0.3) < 1e-6


def test_mutual_neighbour_pairs_link_only_points_near_each_other():
    vectors = np.array([[0, 0], [0, 1], [10, 10], [10, 11]], dtype=np.float32)

    pairs = mutual_neighbour_pairs([1, 2, 3, 4], vectors, neighbours=1)

    assert set(pairs) == {(1, 2), (3, 4)}
    assert abs(pairs[(1, 2)] - 1.0) < 1e-6


def test_two_separated_clusters_become_two_communities():
    rng = np.random.default_rng(0)
    vectors = np.concatenate([rng.normal(0, 0.1, (5, 3)), rng.normal(5, 0.1, (5, 3))]).astype(np.float32)
    ids = list(range(100, 110))

    graph = build_proximity_graph(ids, np.linspace(0.1, 1, 10), vectors, neighbours=3)

    first, second = {graph.communities[i] for i in ids[:5]}, {graph.communities[i] for i in ids[5:]}
    assert len(first) == 1 and len(second) == 1 and first != second


def test_mutual_neighbours_of_long_vectors_far_from_the_origin_are_exact():
    base = np.full(256, 1000.0, dtype=np.float32)  # |v|² ≈ 2.6e8: float32 resolves distances no finer than ~4
    vectors = np.stack([base, base + 0.01 * np.eye(256, dtype=np.float32)[0], base + 0.02 * np.eye(256, dtype=np.float32)[1]])

    pairs = mutual_neighbour_pairs([1, 2, 3], vectors, neighbours=1)

    assert list(pairs) == [(1, 2)] and pairs[(1, 2)] == pytest.approx(0.01, rel=1e-3)
