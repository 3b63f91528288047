// node --test: a search answer becomes a laid-out view; expanding merges neighbours and remembers it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { expandedView, resultCount, searchView } from "../src/graph/views.js";

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
