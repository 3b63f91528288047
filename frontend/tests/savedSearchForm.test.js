// node --test: "Save this search" sends the query (file or image id), its options and filters as JSON.
import assert from "node:assert/strict";
import { test } from "node:test";

import { saveSearch } from "../src/api.js";

test("saveSearch posts name, image_id, keywords, k, encoder and the active filters", async () => {
  let sent = null;
  globalThis.document = { cookie: "csrftoken=abc" };
  globalThis.fetch = async (url, init) => {
    sent = { url, init };
    return { ok: true, status: 201, json: async () => ({ id: 1 }) };
  };

  await saveSearch("Gliomas", { imageId: 17, file: null, q: "glioma", k: 5, encoder: "", label: "glioma", sex: "",
                                fileName: "", previewUrl: null });

  const form = sent.init.body;
  assert.equal(sent.url, "/api/saved-searches/");
  assert.equal(sent.init.headers["X-CSRFToken"], "abc");
  assert.equal(form.get("name"), "Gliomas");
  assert.equal(form.get("image_id"), "17");
  assert.equal(form.get("q"), "glioma");
  assert.equal(form.get("k"), "5");
  assert.equal(form.get("encoder"), null);
  assert.deepEqual(JSON.parse(form.get("filters")), { label: "glioma" });
});
