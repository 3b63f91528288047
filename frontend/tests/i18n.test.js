// node --test: every UI string exists in English and Spanish, and placeholders are filled.
import assert from "node:assert/strict";
import { test } from "node:test";

import { missingTranslations, t } from "../src/i18n.js";

test("English and Spanish catalogues have the same keys", () => {
  assert.deepEqual(missingTranslations(), []);
});

test("t fills placeholders and falls back to the key when unknown", () => {
  assert.equal(t("status.found", { n: 20, ms: 35 }), "Found 20 similar images in 35 ms");
  assert.equal(t("no.such.key"), "no.such.key");
});
