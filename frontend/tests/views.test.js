// node --test: a search answer becomes a laid-out view; expanding merges neighbours and remembers it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { expandedView, listedResults, resultCount, searchView } from "../src/graph/views.js";

const answer = {
  query: { k: 3 },
  results: [1, 2, 3].map((id) => ({ id, rank: id, distance: 0.3 + id / 10, score: 1 - id / 10, community: 0 })),
  edges: [1, 2, 3].map((id) => ({ source: "query", target: id, weight: 1 - id / 10 })),
};

test("a search view has the query at the centre and every result placed", () => {
  const view = searchView(answer, { imageId: null, fileName: "q.png", previewUrl: null, k: 3 });

  assert.equal(resultCount(view), 3);
  assert.deepEqual(view.positions.get("query"), { x: 0, y: 0 });
  assert.equal(view.positions.size, 4);
});

test("expanding a node adds its new neighbours, keeps old positions and records the expansion", () => {
  const view = searchView(answer, { imageId: null, k: 3 });
  const node = view.data.nodes.find((item) => item.imageId === 2);
  const neighbours = {
    results: [{ id: 3, rank: 1, distance: 0.2 }, { id: 9, rank: 2, distance: 0.3 }],
    edges: [{ source: "query", target: 3, weight: 0.8 }, { source: "query", target: 9, weight: 0.7 }],
  };

  const expanded = expandedView(view, node, neighbours);

  assert.equal(resultCount(expanded), 4);
  assert.deepEqual(expanded.expanded, [2]);
  assert.deepEqual(expanded.positions.get("img:1"), view.positions.get("img:1"));
  assert.ok(expanded.positions.has("img:9"));
  assert.equal(resultCount(view), 3, "the previous view is left as it was, for Back");
});

test("expanding next to a repository query image keeps that image the centre and lists the expansion last", () => {
  const more = (id, rank, distance) => ({ id, rank, distance, score: 1 / (1 + distance), community: 0 });
  const view = searchView({ query: {}, results: [more(1, 1, 0.5), more(2, 2, 0.6), more(3, 3, 0.7)],
                            edges: [1, 2, 3].map((id) => ({ source: "query", target: id, weight: 0.6 })) },
                          { imageId: 100, k: 3 });
  const node = view.data.nodes.find((item) => item.imageId === 1);
  const neighboursOfOne = { results: [more(100, 1, 0.5), more(7, 2, 0.05), more(2, 3, 0.55)],
                            edges: [100, 7, 2].map((id) => ({ source: "query", target: id, weight: 0.9 })) };

  const expanded = expandedView(view, node, neighboursOfOne);

  assert.equal(expanded.data.nodes.filter((item) => item.imageId === 100).length, 1); // the yellow query only
  assert.ok(expanded.data.nodes.find((item) => item.imageId === 100).isQuery);
  assert.ok(expanded.data.edges.some((edge) => edge.key === "img:1|query"));
  assert.ok(!expanded.data.edges.some((edge) => edge.source === "img:100" || edge.target === "img:100"));
  assert.deepEqual(listedResults(expanded.data.nodes).map((item) => item.imageId), [1, 2, 3, 7]);
  assert.equal(expanded.data.nodes.find((item) => item.imageId === 7).expandedFrom, 1);
});
