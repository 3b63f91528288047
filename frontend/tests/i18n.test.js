// node --test: keys resolve to English, a Django catalogue translates them, placeholders are filled.
import assert from "node:assert/strict";
import { test } from "node:test";

import { englishStrings, getLanguage, t, useCatalogue } from "../src/i18n.js";

test("every key has English text", () => {
  const strings = englishStrings();
  assert.ok(Object.keys(strings).length > 200);
  for (const [key, english] of Object.entries(strings)) assert.ok(english.trim(), key);
});

test("t fills placeholders and falls back to the key when unknown", () => {
  useCatalogue("en", {});
  assert.equal(t("status.found", { n: 20, ms: 35 }), "Found 20 similar images in 35 ms");
  assert.equal(t("no.such.key"), "no.such.key");
});

test("a catalogue entry keyed by key and English text translates; others stay English", () => {
  useCatalogue("es", { "status.found\u0004Found {n} similar images in {ms} ms": "{n} imágenes en {ms} ms" });
  assert.equal(getLanguage(), "es");
  assert.equal(t("status.found", { n: 3, ms: 9 }), "3 imágenes en 9 ms");
  assert.equal(t("signin.title"), "Sign in");
  useCatalogue("en", {});
});
