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

/** A new view with the neighbours of node (a neighbours answer) merged around it. */
export function expandedView(view, node, answer) {
  const addition = toGraphData(answer, { centreKey: node.key, centreNode: node });
  const known = new Set(view.data.nodes.map((item) => item.key));
  const newNodes = addition.nodes.filter((item) => !known.has(item.key));
  const positions = placeNeighbourhood(view.positions, node.key, newNodes,
                                       { minSeparation: minSeparationFor(view.data.nodes.length - 1) });
  return { ...view, data: mergeGraphData(view.data, addition), positions, expanded: [...view.expanded, node.imageId] };
}

export function resultCount(view) {
  return view.data.nodes.filter((node) => !node.isQuery).length;
}
