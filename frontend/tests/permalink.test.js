// node --test: permalinks round-trip; uploads (no image id) have none.
import assert from "node:assert/strict";
import { test } from "node:test";

import { buildPermalinkHash, parsePermalink } from "../src/permalink.js";

const NO_FILTERS = { encoder: "", q: "", label: "", modality: "", body_part: "", sex: "", age_min: "", age_max: "",
                     dataset: "", teaching_set: "" };

test("a permalink round-trips the query image, k, filters and expansions", () => {
  const view = { ...NO_FILTERS, imageId: 17, k: 12, encoder: "baseline", label: "glioma", modality: "MR", expanded: [23, 45] };

  const hash = buildPermalinkHash(view);

  assert.equal(hash, "#image_id=17&k=12&encoder=baseline&label=glioma&modality=MR&expand=23,45");
  assert.deepEqual(parsePermalink(hash), view);
});

test("a permalink carries the dataset and teaching set filters", () => {
  const view = { ...NO_FILTERS, imageId: null, k: 8, q: "glioma", dataset: "brain_tumor_mri", teaching_set: "3", expanded: [] };

  const hash = buildPermalinkHash(view);

  assert.equal(hash, "#k=8&q=glioma&dataset=brain_tumor_mri&teaching_set=3");
  assert.deepEqual(parsePermalink(hash), view);
});

test("a keyword-only query has a permalink; an uploaded query has none", () => {
  assert.equal(buildPermalinkHash({ imageId: null, k: 5, q: "glioma", sex: "F" }), "#k=5&q=glioma&sex=F");
  assert.equal(parsePermalink("#k=5&q=glioma").q, "glioma");
  assert.equal(buildPermalinkHash({ imageId: null, k: 20, file: {}, q: "glioma" }), "");
  assert.equal(buildPermalinkHash({ imageId: null, k: 20 }), "");
  assert.equal(parsePermalink("#k=20"), null);
});

test("a PACS query has no permalink: its UIDs never go into a URL", () => {
  const pacs = { study_uid: "1.2.3", series_uid: "1.2.3.4" };

  assert.equal(buildPermalinkHash({ imageId: null, k: 5, q: "glioma", pacs }), "");
});
