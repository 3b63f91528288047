// Pure parts of the DICOM image viewer: VOI LUT window/level (DICOM PS3.3 C.11.2.1.2), presets by modality,
// drag adjustment and the stack of slices (series images × frames). No DOM, no HTTP: unit-tested with node --test.

export const VOI_FUNCTIONS = ["LINEAR", "LINEAR_EXACT", "SIGMOID"];

/** Presets in modality units (HU for CT) as [key, center, width]; radiology's usual CT windows. */
const MODALITY_PRESETS = {
  CT: [["lung", -600, 1500], ["mediastinum", 40, 400], ["bone", 400, 1800], ["brain", 40, 80]],
};

/**
 * One value through the VOI LUT: the modality value x -> an output in [yMin, yMax].
 * LINEAR is PS3.3 C.11.2.1.2.1 (width >= 1, the centre offset by 0.5); LINEAR_EXACT is C.11.2.1.3.2;
 * SIGMOID is C.11.2.1.3.1. An unknown function name is treated as LINEAR, the standard's default.
 */
export function voiValue(x, center, width, fn = "LINEAR", yMin = 0, yMax = 255) {
  if (fn === "SIGMOID") return (yMax - yMin) / (1 + Math.exp((-4 * (x - center)) / width)) + yMin;
  if (fn === "LINEAR_EXACT") {
    if (x <= center - width / 2) return yMin;
    if (x > center + width / 2) return yMax;
    return ((x - center) / width + 0.5) * (yMax - yMin) + yMin;
  }
  const w = Math.max(width, 1);
  if (x <= center - 0.5 - (w - 1) / 2) return yMin;
  if (x > center - 0.5 + (w - 1) / 2) return yMax;
  return ((x - (center - 0.5)) / (w - 1) + 0.5) * (yMax - yMin) + yMin;
}

/**
 * RGBA pixels of a grey image: values (any typed array, row-major) through the window, inverted for
 * MONOCHROME1 or on request. `out` (Uint8ClampedArray of 4 × values.length) is reused when given.
 */
export function windowedRgba(values, { center, width, fn = "LINEAR", invert = false }, out = null) {
  const rgba = out && out.length === values.length * 4 ? out : new Uint8ClampedArray(values.length * 4);
  for (let index = 0; index < values.length; index += 1) {
    const level = voiValue(values[index], center, width, fn);
    const grey = invert ? 255 - level : level;
    const at = index * 4;
    rgba[at] = grey;
    rgba[at + 1] = grey;
    rgba[at + 2] = grey;
    rgba[at + 3] = 255;
  }
  return rgba;
}

/** The window spanning every value of the frame. */
export function fullRangeWindow(min, max) {
  return { center: (min + max) / 2, width: Math.max(max - min, 1) };
}

/** Preset keys offered for a modality: the file's own window, the full range, then the modality's. */
export function presetKeys(modality) {
  return ["default", "full", ...(MODALITY_PRESETS[String(modality || "").toUpperCase()] || []).map(([key]) => key)];
}

/** The window of a preset for this frame ({window, min, max} as the server sent them); null if unknown. */
export function presetWindow(key, frame, modality) {
  if (key === "default") return { center: frame.window.center, width: frame.window.width };
  if (key === "full") return fullRangeWindow(frame.min, frame.max);
  const preset = (MODALITY_PRESETS[String(modality || "").toUpperCase()] || []).find(([name]) => name === key);
  return preset ? { center: preset[1], width: preset[2] } : null;
}

/**
 * A drag of (dx, dy) screen pixels from the window at its start: right widens, down raises the level.
 * One pixel moves by 1/512 of the frame's value range (at least 1), so a drag across the image
 * covers a useful part of any modality's range.
 */
export function draggedWindow(start, dx, dy, { min, max }) {
  const step = Math.max((max - min) / 512, 1);
  return { center: start.center + dy * step, width: Math.max(1, start.width + dx * step) };
}

/** Numbers as shown beside the canvas: integers for large windows, one decimal for small ones. */
export function formatWindowNumber(value) {
  return Math.abs(value) >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}

/**
 * The slices to scroll: every frame of every series image that has a DICOM, in the server's order
 * (instance number, then id). `start` is the shown image's representative frame (the middle one, as
 * ingestion chose it). An image missing from its series list (e.g. quarantined) scrolls its own frames.
 */
export function sliceStack(seriesImages, imageId, frameCount = 1) {
  const listed = (seriesImages || []).filter((image) => image.has_dicom);
  const images = listed.some((image) => image.id === imageId) ? listed : [{ id: imageId, frame_count: frameCount }];
  const slices = images.flatMap((image) =>
    Array.from({ length: Math.max(1, image.frame_count || 1) }, (_, frame) => ({ imageId: image.id, frame })));
  const middle = Math.floor(Math.max(1, frameCount) / 2);
  const start = slices.findIndex((slice) => slice.imageId === imageId && slice.frame === middle);
  return { slices, start: start >= 0 ? start : Math.max(0, slices.findIndex((slice) => slice.imageId === imageId)) };
}

/** The index after moving by `step` slices, kept inside the stack. */
export function clampSlice(index, step, count) {
  return Math.min(Math.max(index + step, 0), Math.max(count - 1, 0));
}
