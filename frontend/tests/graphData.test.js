// node --test: search answers become plain {nodes, edges}; expansions merge without duplicates.
import assert from "node:assert/strict";
import { test } from "node:test";

import { QUERY_KEY, imageKey, mergeGraphData, queryNode, toGraphData } from "../src/graph/graphData.js";

const answer = {
  results: [
    { id: 17, rank: 1, distance: 0.41, score: 0.71, label: "COVID", is_abnormal: true, community: 0, thumbnail_url: "/t/17" },
    { id: 23, rank: 2, distance: 0.52, score: 0.66, label: "NonCOVID", is_abnormal: false, community: 1, thumbnail_url: "/t/23" },
  ],
  edges: [
    { source: "query", target: 17, weight: 0.71, distance: 0.41 },
    { source: "query", target: 23, weight: 0.66, distance: 0.52 },
    { source: 17, target: 23, weight: 0.66, distance: 0.52 },
    { source: 23, target: 17, weight: 0.66, distance: 0.52 },
  ],
};

test("a search answer gives the query plus one node per result, and de-duplicated edges", () => {
  const data = toGraphData(answer, { centreNode: queryNode() });

  assert.deepEqual(data.nodes.map((node) => node.key), [QUERY_KEY, "img:17", "img:23"]);
  assert.equal(data.edges.length, 3);
  assert.equal(data.edges.filter((edge) => edge.fromCentre).length, 2);
  assert.equal(data.nodes[1].isAbnormal, true);
  assert.equal(data.nodes[2].isAbnormal, false);
});

test("a neighbours answer is centred on the expanded image and merges into the graph", () => {
  const base = toGraphData(answer, { centreNode: queryNode() });
  const expanded = base.nodes[1];
  const neighbours = {
    results: [{ id: 23, rank: 1, distance: 0.3 }, { id: 99, rank: 2, distance: 0.4 }],
    edges: [{ source: "query", target: 23, weight: 0.7 }, { source: "query", target: 99, weight: 0.6 }],
  };

  const merged = mergeGraphData(base, toGraphData(neighbours, { centreKey: imageKey(17), centreNode: expanded }));

  assert.deepEqual(merged.nodes.map((node) => node.key), [QUERY_KEY, "img:17", "img:23", "img:99"]);
  assert.ok(merged.edges.some((edge) => edge.key === "img:17|img:99"));
  assert.equal(merged.edges.length, 4);
});

test("series-level results become nodes of their best image that remember their series", () => {
  const seriesAnswer = {
    results: [{ id: 31, rank: 1, distance: 0.0, score: 1.0, level: "series", series_id: 4, image_count: 7, matched_slices: 7 },
              { id: 40, rank: 2, distance: 1.5, score: 0.4, level: "series", series_id: 5, image_count: 5, matched_slices: 2 }],
    edges: [{ source: "query", target: 31, weight: 1.0 }, { source: "query", target: 40, weight: 0.4 }],
  };

  const data = toGraphData(seriesAnswer, { centreNode: queryNode() });

  assert.deepEqual(data.nodes.map((node) => node.key), [QUERY_KEY, "img:31", "img:40"]);
  assert.deepEqual(data.nodes[1].series, { id: 4, imageCount: 7, matchedSlices: 7 });
  assert.equal(data.edges.length, 2);
  assert.equal(toGraphData(answer).nodes[0].series, null);
});
