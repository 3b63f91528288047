// node --test: the proximity layout keeps distance-to-centre monotone in the query distance.
import assert from "node:assert/strict";
import { test } from "node:test";

import { minSeparationFor } from "../src/graph/appearance.js";
import { INNER_RADIUS, OUTER_RADIUS, layoutProximityGraph, placeNeighbourhood, radiusScale } from "../src/graph/layout.js";

function searchGraph(count) {
  const nodes = [{ key: "query", isQuery: true }];
  const edges = [];
  for (let index = 1; index <= count; index += 1) {
    nodes.push({ key: `img:${index}`, rank: index, distance: 0.3 + index * 0.02, community: index % 3 });
    edges.push({ key: `query|img:${index}`, source: "query", target: `img:${index}`, weight: 1 - index * 0.02, fromCentre: true });
    if (index > 1) edges.push({ key: `e${index}`, source: `img:${index - 1}`, target: `img:${index}`, weight: 0.6, fromCentre: false });
  }
  return { nodes, edges };
}

const radius = ({ x, y }, centre = { x: 0, y: 0 }) => Math.hypot(x - centre.x, y - centre.y);

test("radiusScale maps the closest result to the inner ring and the farthest to the outer ring", () => {
  const scale = radiusScale([0.2, 0.5, 0.8]);

  assert.equal(scale(0.2), INNER_RADIUS);
  assert.equal(scale(0.8), OUTER_RADIUS);
  assert.ok(scale(0.5) > INNER_RADIUS && scale(0.5) < OUTER_RADIUS);
});

test("layout pins the query at the centre and orders results by distance from it", () => {
  const graph = searchGraph(20);

  const positions = layoutProximityGraph(graph, { minSeparation: 0.1 });

  assert.deepEqual(positions.get("query"), { x: 0, y: 0 });
  const radii = graph.nodes.slice(1).map((node) => radius(positions.get(node.key)));
  for (let index = 1; index < radii.length; index += 1) assert.ok(radii[index] > radii[index - 1] - 1e-9);
});

test("layout keeps thumbnails apart when there is room on their rings", () => {
  const graph = searchGraph(12);

  const positions = layoutProximityGraph(graph, { minSeparation: 0.15 });

  const keys = graph.nodes.slice(1).map((node) => node.key);
  for (const a of keys) {
    for (const b of keys) {
      if (a < b) assert.ok(radius(positions.get(a), positions.get(b)) > 0.15 * 0.95, `${a} and ${b} overlap`);
    }
  }
});

test("an expansion places only the new nodes, around the expanded node", () => {
  const graph = searchGraph(6);
  const positions = layoutProximityGraph(graph, { minSeparation: 0.1 });
  const newNodes = [{ key: "img:50", distance: 0.2 }, { key: "img:51", distance: 0.4 }];

  const next = placeNeighbourhood(positions, "img:6", newNodes, { minSeparation: 0.1 });

  for (const [key, point] of positions) assert.deepEqual(next.get(key), point);
  assert.ok(radius(next.get("img:50"), positions.get("img:6")) < radius(next.get("img:51"), positions.get("img:6")) + 1e-9);
});

test("a keyword-only answer (no distances) is laid out by text score: better stays closer", () => {
  const nodes = [{ key: "query", isQuery: true },
    ...[1, 0.5, 0.1].map((score, index) => ({ key: `img:${index + 1}`, rank: index + 1, distance: null, score }))];

  const positions = layoutProximityGraph({ nodes, edges: [] }, { minSeparation: 0.05 });

  const radii = [1, 2, 3].map((index) => radius(positions.get(`img:${index}`)));
  assert.ok(radii[0] < radii[1] && radii[1] < radii[2], radii.join(" "));
});

test("an expansion's new neighbours keep their order of distance wherever the expanded node sits", () => {
  for (const count of [10, 20, 50]) {
    const nodes = [{ key: "query", isQuery: true }];
    for (let index = 1; index <= count; index += 1) nodes.push({ key: `img:${index}`, rank: index, distance: 0.3 + index * 0.02 });
    const separation = minSeparationFor(count);
    const positions = layoutProximityGraph({ nodes, edges: [] }, { minSeparation: separation });
    for (const expanded of [1, Math.ceil(count / 2), count]) {
      const newNodes = Array.from({ length: 10 }, (_, index) => ({ key: `n:${index}`, distance: 0.1 + index * 0.01 }));

      const next = placeNeighbourhood(positions, `img:${expanded}`, newNodes, { minSeparation: separation });

      const radii = newNodes.map((node) => radius(next.get(node.key), next.get(`img:${expanded}`)));
      radii.slice(1).forEach((value, index) => assert.ok(value >= radii[index] - 1e-9,
                                                         `${count}/${expanded}: ${radii.map((r) => r.toFixed(3)).join(" ")}`));
    }
  }
});
