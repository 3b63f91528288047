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
