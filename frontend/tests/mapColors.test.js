// node --test: map dots get one colour per diagnosis, stable whatever the order of the points.
import assert from "node:assert/strict";
import { test } from "node:test";

import { COMMUNITY_COLORS, labelColors } from "../src/graph/appearance.js";

test("labelColors gives each diagnosis one colour in sorted order and skips missing labels", () => {
  const colors = labelColors([{ label: "pituitary" }, { label: "glioma" }, { label: null }, { label: "glioma" }]);

  assert.deepEqual([...colors.keys()], ["glioma", "pituitary"]);
  assert.equal(colors.get("glioma"), COMMUNITY_COLORS[0]);
  assert.equal(colors.get("pituitary"), COMMUNITY_COLORS[1]);
});

test("every label of a set with more findings than the palette has colours gets its own colour", () => {
  const findings = ["ARDS", "Bacterial", "COVID-19", "E.Coli", "Influenza", "Klebsiella", "Legionella", "Lipoid",
                    "Mycoplasma Bacterial Pneumonia", "No Finding", "Pneumocystis", "Pneumonia", "SARS", "Streptococcus",
                    "Varicella", "glioma", "meningioma", "notumor", "pituitary", "COVID", "NonCOVID"];

  const colors = labelColors(findings.map((label) => ({ label })));

  assert.equal(new Set(colors.values()).size, findings.length);
  for (const color of colors.values()) assert.match(color, /^#[0-9a-f]{6}$/);
});
