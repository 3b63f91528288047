// Positions for the proximity graph: plain {nodes, edges} in, Map(key -> {x, y}) out.
//
// The distance to the centre is kept exact (a monotone map of the query–result
// distance); ForceAtlas2, run on the result–result edges with the centre pinned,
// only decides the angles, so mutually similar results end up side by side.
import Graph from "graphology";
import forceAtlas2 from "graphology-layout-forceatlas2";

export const INNER_RADIUS = 0.38;
export const OUTER_RADIUS = 1;

/** Radius of each distance, spread affinely over [inner, outer] (equal distances share a ring). */
export function radiusScale(distances, { inner = INNER_RADIUS, outer = OUTER_RADIUS } = {}) {
  const finite = distances.filter((value) => Number.isFinite(value));
  const low = finite.length ? Math.min(...finite) : 0;
  const high = finite.length ? Math.max(...finite) : 1;
  const span = high - low;
  return (distance) => {
    if (!Number.isFinite(distance)) return outer;
    if (span <= 1e-12) return (inner + outer) / 2;
    return inner + ((distance - low) / span) * (outer - inner);
  };
}

/**
 * What sets each result's radius: its distance to the centre; when no result has one (a keyword-only
 * search, whose results are ranked by text score), the score, reversed, so that better stays closer.
 */
export function centreDistances(nodes) {
  if (nodes.some((node) => Number.isFinite(node.distance))) return nodes.map((node) => node.distance);
  return nodes.map((node) => (Number.isFinite(node.score) ? 1 - node.score : null));
}

function initialAngles(results) {
  // Group communities together before FA2 so it starts near a sensible arrangement.
  const ordered = [...results].sort((a, b) =>
    (a.community ?? Infinity) - (b.community ?? Infinity) || (a.rank ?? 0) - (b.rank ?? 0));
  const angles = new Map();
  ordered.forEach((node, index) => angles.set(node.key, (2 * Math.PI * index) / ordered.length - Math.PI / 2));
  return angles;
}

function forceAtlasAngles(centreKey, results, edges, radiusOf, iterations) {
  const start = initialAngles(results);
  const graph = new Graph({ type: "undirected", multi: false });
  graph.addNode(centreKey, { x: 0, y: 0, fixed: true });
  for (const node of results) {
    const radius = radiusOf(node.key);
    graph.addNode(node.key, { x: radius * Math.cos(start.get(node.key)), y: radius * Math.sin(start.get(node.key)) });
  }
  for (const edge of edges) {
    if (!graph.hasNode(edge.source) || !graph.hasNode(edge.target) || graph.hasEdge(edge.source, edge.target)) continue;
    // Spokes to the centre pull weakly: the radius is imposed afterwards anyway.
    const weight = edge.fromCentre ? 0.05 : Math.max(edge.weight, 0.05);
    graph.addEdge(edge.source, edge.target, { weight });
  }
  if (results.length > 2 && iterations > 0) {
    const settings = { ...forceAtlas2.inferSettings(graph), edgeWeightInfluence: 1, gravity: 0.5, scalingRatio: 2 };
    forceAtlas2.assign(graph, { iterations, settings, getEdgeWeight: "weight" });
  }
  const angles = new Map();
  for (const node of results) {
    const { x, y } = graph.getNodeAttributes(node.key);
    angles.set(node.key, Math.hypot(x, y) < 1e-9 ? start.get(node.key) : Math.atan2(y, x));
  }
  return angles;
}

/** {x, y} from a number (same gap both ways) or an {x, y} pair. */
function separationBox(minSeparation) {
  return typeof minSeparation === "number" ? { x: minSeparation, y: minSeparation } : minSeparation;
}

/**
 * Points bucketed in cells as large as the separation box, so that two overlapping boxes
 * always sit in the same or adjacent cells: a node is compared with its neighbours only.
 */
class BoxGrid {
  constructor(box, points) {
    this.box = box;
    this.cells = new Map();
    points.forEach((point, index) => this.cellAt(point).push(index));
  }

  cellKey(column, row) {
    return column * 2 ** 21 + row; // unique while |row| < 2^20 cells, far beyond any layout here
  }

  cellAt(point) {
    const key = this.cellKey(Math.floor(point.x / this.box.x), Math.floor(point.y / this.box.y));
    if (!this.cells.has(key)) this.cells.set(key, []);
    return this.cells.get(key);
  }

  /** Indices of the points in the 3 × 3 cells around point, ascending (the order of a full scan). */
  near(point) {
    const column = Math.floor(point.x / this.box.x);
    const row = Math.floor(point.y / this.box.y);
    const found = [];
    for (let dc = -1; dc <= 1; dc += 1) {
      for (let dr = -1; dr <= 1; dr += 1) {
        const cell = this.cells.get(this.cellKey(column + dc, row + dr));
        if (cell) found.push(...cell);
      }
    }
    return found.sort((a, b) => a - b);
  }

  move(index, from, to) {
    const before = this.cellAt(from);
    const after = this.cellAt(to);
    if (before === after) return;
    before.splice(before.indexOf(index), 1);
    after.push(index);
  }
}

/**
 * Push apart nodes whose boxes (minSeparation wide and tall, thumbnails being squares)
 * overlap, moving them along their circle around their own centre (outwards too, up to
 * maxRadius when a ring gives one); fixed keys do not move.
 */
export function separateOnRings(positions, rings, minSeparation, { fixed = new Set(), rounds = 80 } = {}) {
  const box = separationBox(minSeparation);
  if (!(box.x > 0 && box.y > 0)) return positions;
  const movable = [...rings.keys()].filter((key) => !fixed.has(key));
  const all = [...positions.keys()];
  const indexOf = new Map(all.map((key, index) => [key, index]));
  const grid = new BoxGrid(box, all.map((key) => positions.get(key)));
  for (let round = 0; round < rounds; round += 1) {
    let moved = false;
    for (const key of movable) {
      const index = indexOf.get(key);
      const point = positions.get(key);
      const { cx, cy, radius, maxRadius } = rings.get(key);
      let pushX = 0;
      let pushY = 0;
      for (const other of grid.near(point)) {
        if (other === index) continue;
        const otherPoint = positions.get(all[other]);
        const dx = point.x - otherPoint.x;
        const dy = point.y - otherPoint.y;
        const overlapX = box.x - Math.abs(dx);
        const overlapY = box.y - Math.abs(dy);
        if (overlapX <= 0 || overlapY <= 0) continue;
        // Leave along the centre-to-centre line, by the smaller of the two overlaps.
        const gap = Math.hypot(dx, dy);
        const angle = gap < 1e-9 ? ((index * 2.399) % (2 * Math.PI)) : Math.atan2(dy, dx);
        const step = Math.min(overlapX, overlapY) / 2 + 1e-4;
        pushX += step * Math.cos(angle);
        pushY += step * Math.sin(angle);
      }
      if (pushX === 0 && pushY === 0) continue;
      // Keep the radius (or within [radius, maxRadius]): project the pushed point back on its ring.
      const angle = Math.atan2(point.y + pushY - cy, point.x + pushX - cx);
      const wanted = Math.hypot(point.x + pushX - cx, point.y + pushY - cy);
      const ring = Math.min(Math.max(wanted, radius), maxRadius ?? radius);
      const next = { x: cx + ring * Math.cos(angle), y: cy + ring * Math.sin(angle) };
      positions.set(key, next);
      grid.move(index, point, next);
      moved = true;
    }
    if (!moved) break;
  }
  return positions;
}

/** key -> radius for these nodes: their centreDistances through a radiusScale (options: inner, outer). */
function radiiByKey(nodes, scaleOptions = {}) {
  const distances = centreDistances(nodes);
  const scale = radiusScale(distances, scaleOptions);
  const radii = new Map(nodes.map((node, index) => [node.key, scale(distances[index])]));
  return (key) => radii.get(key);
}

/** Layout of a fresh search: centre at (0, 0), results around it. */
export function layoutProximityGraph({ nodes, edges }, { centreKey = "query", minSeparation = 0.12, iterations = 80 } = {}) {
  const results = nodes.filter((node) => node.key !== centreKey);
  const radiusOf = radiiByKey(results);
  const angles = forceAtlasAngles(centreKey, results, edges, radiusOf, iterations);
  const positions = new Map([[centreKey, { x: 0, y: 0 }]]);
  const rings = new Map();
  for (const node of results) {
    const radius = radiusOf(node.key);
    const angle = angles.get(node.key);
    positions.set(node.key, { x: radius * Math.cos(angle), y: radius * Math.sin(angle) });
    rings.set(node.key, { cx: 0, cy: 0, radius });
  }
  return separateOnRings(positions, rings, minSeparation);
}

/**
 * Positions for the new neighbours of an expanded node: an arc pointing away from
 * the graph's centre, at a radius that grows with their distance to that node.
 */
export function placeNeighbourhood(positions, centreKey, newNodes, { scale = 0.75, minSeparation = 0.12 } = {}) {
  const next = new Map(positions);
  if (!newNodes.length) return next;
  const centre = positions.get(centreKey) ?? { x: 0, y: 0 };
  const outward = Math.hypot(centre.x, centre.y) < 1e-9 ? -Math.PI / 2 : Math.atan2(centre.y, centre.x);
  const separation = minSeparation;
  const inner = Math.max(INNER_RADIUS * scale, Math.max(separationBox(separation).x, separationBox(separation).y) * 1.2);
  const radiusOf = radiiByKey(newNodes, { inner, outer: Math.max(OUTER_RADIUS * scale, inner * 2) });
  const ordered = [...newNodes].sort((a, b) => radiusOf(a.key) - radiusOf(b.key));
  const arc = Math.min(2 * Math.PI, Math.max(Math.PI * 0.9, ordered.length * 0.5));
  const rings = new Map();
  ordered.forEach((node, index) => {
    const angle = outward + (ordered.length === 1 ? 0 : (index / (ordered.length - 1) - 0.5) * arc);
    const radius = radiusOf(node.key);
    next.set(node.key, { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) });
    // An expansion is a local view: nodes may drift outwards to find room among the existing ones, but not
    // past the next farther neighbour's ring, so that closer still means more similar.
    const following = ordered[index + 1];
    const maxRadius = following ? Math.min(radius * 1.8, radiusOf(following.key)) : radius * 1.8;
    rings.set(node.key, { cx: centre.x, cy: centre.y, radius, maxRadius });
  });
  return separateOnRings(next, rings, separation, { rounds: 120 });
}

