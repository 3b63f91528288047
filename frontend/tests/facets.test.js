// node --test: facet counts are asked with the active filters only; dataset and teaching set travel with searches.
import assert from "node:assert/strict";
import { test } from "node:test";

import { getFacets, getNeighbours, saveSearch, searchByKeywords } from "../src/api.js";

function recordFetch() {
  const calls = [];
  globalThis.document = { cookie: "csrftoken=abc" };
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return { ok: true, status: 200, json: async () => ({ total: 0, facets: {} }) };
  };
  return calls;
}

test("getFacets sends the non-empty filters as query parameters", async () => {
  const calls = recordFetch();

  await getFacets({ label: "glioma", modality: "", sex: "F", age_min: "18", age_max: "", dataset: "brain_tumor_mri",
                    teaching_set: "3", k: 20, q: "ignored" });

  assert.equal(calls[0].url, "/api/facets/?label=glioma&sex=F&age_min=18&dataset=brain_tumor_mri&teaching_set=3");
  assert.equal(calls[0].init.method, "GET");
});

test("getFacets without filters asks for the whole repository", async () => {
  const calls = recordFetch();

  await getFacets();

  assert.equal(calls[0].url, "/api/facets/");
});

test("a search and a saved search carry the dataset and teaching set filters", async () => {
  const calls = recordFetch();

  await searchByKeywords({ q: "glioma", k: 5, dataset: "brain_tumor_mri", teaching_set: "3" });
  await saveSearch("Set 3", { imageId: 17, q: "", k: 5, dataset: "brain_tumor_mri", teaching_set: "3", label: "" });

  const search = calls[0].init.body;
  assert.equal(search.get("dataset"), "brain_tumor_mri");
  assert.equal(search.get("teaching_set"), "3");
  assert.deepEqual(JSON.parse(calls[1].init.body.get("filters")), { dataset: "brain_tumor_mri", teaching_set: "3" });
});

test("expanding a node asks for its neighbours within the search's filters, without its keywords or query image", async () => {
  const calls = recordFetch();

  await getNeighbours(42, { imageId: 7, q: "glioma", k: 8, encoder: "baseline", modality: "MR", dataset: "brain_tumor_mri",
                            label: "", teaching_set: "3" });

  assert.equal(calls[0].url, "/api/images/42/neighbours/?k=8&encoder=baseline&modality=MR&dataset=brain_tumor_mri&teaching_set=3");
});
