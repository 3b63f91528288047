// A "view" is what the graph, list and history show: the request, the graph data and its layout.
import { QUERY_KEY, mergeGraphData, queryNode, toGraphData } from "./graphData.js";
import { layoutProximityGraph, placeNeighbourhood } from "./layout.js";
import { minSeparationFor } from "./appearance.js";

/** The view of a search answer; request = {imageId, fileName, previewUrl, k, encoder, label, modality}. */
export function searchView(answer, request) {
  const centre = queryNode({ imageId: request.imageId ?? null, previewUrl: request.previewUrl,
                             fileName: request.fileName, keywords: request.q });
  const data = toGraphData(answer, { centreKey: QUERY_KEY, centreNode: centre });
  const started = performance.now();
  const positions = layoutProximityGraph(data, { minSeparation: minSeparationFor(data.nodes.length - 1) });
  performance.measure("cbir:layout", { start: started }); // read by benchmarks/graph_fps.py
  return { request, data, positions, expanded: [], query: answer.query };
}

/**
 * A new view with the neighbours of node (a neighbours answer) merged around it. The query image, when it
 * is a repository image, stays the yellow centre instead of coming back as a result; new nodes carry
 * `expansion` (1 for the first expansion, …): their rank and score are relative to `expandedFrom`.
 */
export function expandedView(view, node, answer) {
  const expansion = view.expanded.length + 1;
  const queryImageId = view.data.nodes.find((item) => item.isQuery)?.imageId ?? null;
  const addition = toGraphData(answer, { centreKey: node.key, centreNode: node, queryImageId });
  for (const item of addition.nodes) {
    if (item !== node) Object.assign(item, { expansion, expandedFrom: node.imageId });
  }
  const known = new Set(view.data.nodes.map((item) => item.key));
  const newNodes = addition.nodes.filter((item) => !known.has(item.key));
  const positions = placeNeighbourhood(view.positions, node.key, newNodes,
                                       { minSeparation: minSeparationFor(view.data.nodes.length - 1) });
  return { ...view, data: mergeGraphData(view.data, addition), positions, expanded: [...view.expanded, node.imageId] };
}

export function resultCount(view) {
  return view.data.nodes.filter((node) => !node.isQuery).length;
}

/**
 * The results in list order: the search's own results by score, then each expansion's new results (whose
 * scores are relative to the image expanded, so not comparable with the search's) after them, in turn.
 */
export function listedResults(nodes) {
  return nodes.filter((node) => !node.isQuery)
    .sort((a, b) => (a.expansion ?? 0) - (b.expansion ?? 0) || (b.score ?? -Infinity) - (a.score ?? -Infinity)
                    || (a.rank ?? 0) - (b.rank ?? 0));
}
