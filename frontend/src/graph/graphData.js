// Plain {nodes, edges} for the proximity graph, built from a search (or neighbours) answer.

export const QUERY_KEY = "query";

export function imageKey(imageId) {
  return `img:${imageId}`;
}

function resultNode(result) {
  return {
    key: imageKey(result.id),
    imageId: result.id,
    isQuery: false,
    rank: result.rank,
    distance: result.distance,
    score: result.score,
    label: result.label || "",
    labels: result.labels || (result.label ? [result.label] : []),
    modality: result.modality || "",
    bodyPart: result.body_part || "",
    dataset: result.dataset || "",
    isAbnormal: result.is_abnormal ?? null,
    community: result.community ?? null,
    thumbnailUrl: result.thumbnail_url,
    imageUrl: result.image_url,
    // A whole-series PACS query answers series, each drawn as its best-matching image (result.id).
    series: result.level === "series"
      ? { id: result.series_id, imageCount: result.image_count, matchedSlices: result.matched_slices } : null,
  };
}

function edgeKey(sourceKey, targetKey) {
  return sourceKey < targetKey ? `${sourceKey}|${targetKey}` : `${targetKey}|${sourceKey}`;
}

/**
 * Nodes and edges of one answer. centreKey names the node the answer is centred on:
 * QUERY_KEY for a search, imageKey(id) for the neighbours of an image ("expand"). queryImageId: the
 * search's query when it is a repository image; in an expansion it is the yellow query node, not a result.
 */
export function toGraphData(answer, { centreKey = QUERY_KEY, centreNode = null, queryImageId = null } = {}) {
  const queryAlias = queryImageId == null ? null : imageKey(queryImageId);
  const nodes = [];
  if (centreNode) nodes.push(centreNode);
  const seen = new Set([centreKey, QUERY_KEY]);
  for (const result of answer.results || []) {
    const node = resultNode(result);
    if (seen.has(node.key) || node.key === queryAlias) continue;
    seen.add(node.key);
    nodes.push(node);
  }
  const keyOf = (endpoint) => {
    const key = endpoint === "query" ? centreKey : imageKey(endpoint);
    return key === queryAlias ? QUERY_KEY : key;
  };
  const edges = [];
  const seenEdges = new Set();
  for (const edge of answer.edges || []) {
    const source = keyOf(edge.source);
    const target = keyOf(edge.target);
    const key = edgeKey(source, target);
    if (source === target || !seen.has(source) || !seen.has(target) || seenEdges.has(key)) continue;
    seenEdges.add(key);
    edges.push({ key, source, target, weight: edge.weight ?? 0, distance: edge.distance ?? null,
                 fromCentre: source === centreKey || target === centreKey });
  }
  return { nodes, edges };
}

/** The yellow centre node of a search; previewUrl is what to draw inside it (may be null). */
export function queryNode({ imageId = null, previewUrl = null, fileName = "", keywords = "" } = {}) {
  return { key: QUERY_KEY, imageId, isQuery: true, rank: 0, distance: 0, score: 1, label: "", labels: [],
           isAbnormal: null, community: null, thumbnailUrl: previewUrl, imageUrl: previewUrl, fileName, keywords };
}

/** Union of two graphs; nodes already in base keep their attributes, new edges are added. */
export function mergeGraphData(base, addition) {
  const nodeKeys = new Set(base.nodes.map((node) => node.key));
  const edgeKeys = new Set(base.edges.map((edge) => edge.key));
  return {
    nodes: [...base.nodes, ...addition.nodes.filter((node) => !nodeKeys.has(node.key))],
    edges: [...base.edges, ...addition.edges.filter((edge) => !edgeKeys.has(edge.key))],
  };
}
