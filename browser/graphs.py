"""The proximity (ego) graph the browser draws: query at the centre, results around it,
edges between results that are among each other's nearest neighbours. Pure NumPy/networkx."""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

QUERY_NODE = "query"


@dataclass
class ProximityGraph:
    edges: list[dict]  # {"source", "target", "distance", "weight"}
    communities: dict[int, int]  # result id -> community number (0 = largest)


def similarity_score(distance: float | np.ndarray) -> float | np.ndarray:
    """Inverse distance mapping (the PACS paper's 'similarity score'): 1 at distance 0."""
    return 1.0 / (1.0 + distance)


def build_proximity_graph(result_ids: list[int], query_distances: np.ndarray, result_vectors: np.ndarray,
                          *, neighbours: int = 3) -> ProximityGraph:
    """Query -> every result, plus result <-> result edges for mutual `neighbours`-nearest pairs."""
    graph = nx.Graph()
    graph.add_node(QUERY_NODE)
    for result_id, distance in zip(result_ids, query_distances):
        graph.add_edge(QUERY_NODE, result_id, distance=float(distance), weight=float(similarity_score(distance)))
    for (first, second), distance in mutual_neighbour_pairs(result_ids, result_vectors, neighbours).items():
        graph.add_edge(first, second, distance=distance, weight=float(similarity_score(distance)))
    return ProximityGraph(edges=_edge_list(graph), communities=result_communities(graph))


def mutual_neighbour_pairs(ids: list[int], vectors: np.ndarray, neighbours: int) -> dict[tuple[int, int], float]:
    """Pairs (a, b) where each is among the other's `neighbours` nearest results."""
    count = len(ids)
    if count < 2:
        return {}
    vectors = np.asarray(vectors, dtype=np.float64)  # the float32 shortcut misorders near neighbours (indexes.py)
    squared = np.sum(vectors ** 2, axis=1)
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2.0 * vectors @ vectors.T, 0.0))
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :min(neighbours, count - 1)]
    neighbour_sets = [set(row.tolist()) for row in nearest]
    pairs = {}
    for row, candidates in enumerate(neighbour_sets):
        for column in candidates:
            if row < column and row in neighbour_sets[column]:
                pairs[(ids[row], ids[column])] = float(distances[row, column])
    return pairs


def result_communities(graph: nx.Graph) -> dict[int, int]:
    """Greedy-modularity communities of the results (the query hub is left out: it joins everything)."""
    results = graph.subgraph([node for node in graph.nodes if node != QUERY_NODE])
    if results.number_of_edges() == 0:
        return {node: 0 for node in results.nodes}
    groups = nx.community.greedy_modularity_communities(results, weight="weight")
    return {node: number for number, group in enumerate(groups) for node in group}


def _edge_list(graph: nx.Graph) -> list[dict]:
    edges = []
    for first, second, data in graph.edges(data=True):
        source, target = (first, second) if second != QUERY_NODE else (second, first)
        edges.append({"source": source, "target": target, "distance": data["distance"], "weight": data["weight"]})
    return edges
