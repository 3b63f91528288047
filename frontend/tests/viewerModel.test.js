// node --test: the VOI LUT of DICOM PS3.3 C.11.2.1.2, presets, dragging and the slice stack of the image viewer.
import assert from "node:assert/strict";
import { test } from "node:test";

import { clampSlice, draggedWindow, fullRangeWindow, presetKeys, presetWindow, sliceStack, voiValue,
         windowedRgba } from "../src/viewerModel.js";

test("linear VOI LUT: the standard's bounds with the 0.5 centre offset", () => {
  // c = 40, w = 400 (mediastinum): x <= c - 0.5 - (w-1)/2 = -160 is black; x > c - 0.5 + (w-1)/2 = 239 is white
  assert.equal(voiValue(-160, 40, 400), 0);
  assert.equal(voiValue(-1000, 40, 400), 0);
  assert.equal(voiValue(240, 40, 400), 255);
  assert.equal(voiValue(3000, 40, 400), 255);
  assert.ok(voiValue(-159.5, 40, 400) > 0 && voiValue(239, 40, 400) <= 255);
  assert.equal(voiValue(39.5, 40, 400), 127.5); // x = c - 0.5 is the middle grey
});

test("linear VOI LUT grows monotonically and linearly inside the window", () => {
  const outputs = [-100, 0, 100, 200].map((x) => voiValue(x, 40, 400));

  assert.deepEqual(outputs.map((y, index) => index && y - outputs[index - 1]).slice(1).map((d) => d.toFixed(6)),
                   Array(3).fill((100 / 399 * 255).toFixed(6)));
});

test("a window of width 1 is a threshold at the centre", () => {
  assert.equal(voiValue(0, 0.5, 1), 0);
  assert.equal(voiValue(0.6, 0.5, 1), 255);
});

test("LINEAR_EXACT and SIGMOID follow their own formulas", () => {
  assert.equal(voiValue(40, 40, 400, "LINEAR_EXACT"), 127.5);
  assert.equal(voiValue(-160, 40, 400, "LINEAR_EXACT"), 0);
  assert.equal(voiValue(241, 40, 400, "LINEAR_EXACT"), 255);
  assert.equal(voiValue(40, 40, 400, "SIGMOID"), 127.5);
  assert.ok(voiValue(600, 40, 400, "SIGMOID") > 250);
});

test("windowedRgba maps values to opaque greys and inverts MONOCHROME1", () => {
  const values = new Int16Array([-1000, 40, 1000]);

  const normal = windowedRgba(values, { center: 40, width: 400 });
  const inverted = windowedRgba(values, { center: 40, width: 400, invert: true });

  assert.deepEqual([...normal], [0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  assert.deepEqual([...inverted], [255, 255, 255, 255, 127, 127, 127, 255, 0, 0, 0, 255]);
});

test("windowedRgba reuses an output buffer of the right size", () => {
  const buffer = new Uint8ClampedArray(8);

  const rgba = windowedRgba(new Float32Array([0, 1]), { center: 0.5, width: 2 }, buffer);

  assert.equal(rgba, buffer);
});

test("CT offers the radiology presets besides the DICOM default and the full range", () => {
  const frame = { window: { center: 40, width: 100 }, min: -1024, max: 2000 };

  assert.deepEqual(presetKeys("CT"), ["default", "full", "lung", "mediastinum", "bone", "brain"]);
  assert.deepEqual(presetKeys("MR"), ["default", "full"]);
  assert.deepEqual(presetWindow("lung", frame, "CT"), { center: -600, width: 1500 });
  assert.deepEqual(presetWindow("brain", frame, "ct"), { center: 40, width: 80 });
  assert.deepEqual(presetWindow("default", frame, "CT"), { center: 40, width: 100 });
  assert.deepEqual(presetWindow("full", frame, "CT"), { center: 488, width: 3024 });
  assert.equal(presetWindow("lung", frame, "MR"), null);
  assert.deepEqual(fullRangeWindow(5, 5), { center: 5, width: 1 });
});

test("dragging right widens the window, down raises the level, never below width 1", () => {
  const start = { center: 40, width: 400 };

  assert.deepEqual(draggedWindow(start, 10, -5, { min: -1024, max: 3072 }), { center: 0, width: 480 }); // 8 HU a pixel
  assert.deepEqual(draggedWindow(start, -1000, 0, { min: 0, max: 100 }), { center: 40, width: 1 });
});

test("the slice stack lists every frame of the series' DICOM images and starts at the shown one", () => {
  const series = [{ id: 3, frame_count: 1, has_dicom: true }, { id: 9, frame_count: 1, has_dicom: false },
                  { id: 5, frame_count: 3, has_dicom: true }];

  const { slices, start } = sliceStack(series, 5, 3);

  assert.deepEqual(slices, [{ imageId: 3, frame: 0 }, { imageId: 5, frame: 0 }, { imageId: 5, frame: 1 },
                            { imageId: 5, frame: 2 }]);
  assert.equal(start, 2); // the middle frame, which ingestion stored as the PNG
});

test("an image missing from its series list scrolls through its own frames", () => {
  const { slices, start } = sliceStack([{ id: 3, frame_count: 1, has_dicom: true }], 7, 10);

  assert.equal(slices.length, 10);
  assert.ok(slices.every((slice) => slice.imageId === 7));
  assert.equal(start, 5);
});

test("scrolling stays inside the stack", () => {
  assert.equal(clampSlice(0, -1, 4), 0);
  assert.equal(clampSlice(2, 1, 4), 3);
  assert.equal(clampSlice(3, 10, 4), 3);
});
