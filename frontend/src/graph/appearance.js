// Colours and sizes of the proximity graph (the "symbology" the legend explains).

export const QUERY_COLOR = "#f5c518";
export const ABNORMAL_HALO = "#ef4444";
export const NORMAL_HALO = null; // no halo at all for a normal finding
export const UNKNOWN_HALO = "#5b6673";
export const LABEL_COLOR = "#d5dbe3";
export const SELECTED_COLOR = "#e2e8f0";
// @sigma/node-image draws a square thumbnail of half-side ~0.97 × the node size
// (its square crop, 0.683, scaled by √2 when keepWithinCircle is false).
export const SQUARE_HALF_SIDE = Math.SQRT1_2 * Math.cos(Math.PI / 12) * Math.SQRT2;
export const SPOKE_COLOR = "rgba(245,197,24,0.28)";
export const NEUTRAL_EDGE_COLOR = "rgba(148,163,184,0.35)";

// Bright enough to read as label text on the dark canvas; none is red or yellow.
export const COMMUNITY_COLORS = ["#38bdf8", "#a78bfa", "#34d399", "#f472b6", "#fb923c",
                                 "#2dd4bf", "#818cf8", "#a3e635", "#e879f9", "#94a3b8"];

export function communityColor(community) {
  if (community === null || community === undefined || community < 0) return null;
  return COMMUNITY_COLORS[community % COMMUNITY_COLORS.length];
}

export function haloColor(node) {
  if (node.isQuery) return QUERY_COLOR;
  if (node.isAbnormal === true) return ABNORMAL_HALO;
  if (node.isAbnormal === false) return NORMAL_HALO;
  return UNKNOWN_HALO;
}

// Sizes are in graph units (sigma's itemSizesReference "positions"), like the layout:
// thumbnails then never overlap whatever the screen size, and zooming scales them with the graph.

/** Node size (~half the thumbnail side) in graph units, where results lie 0.38–1 from the query. */
export function resultNodeSize(resultCount) {
  return Math.max(0.022, Math.min(0.11, 0.4 / Math.sqrt(Math.max(resultCount, 1))));
}

export function queryNodeSize(resultCount) {
  return resultNodeSize(resultCount) * 1.3;
}

/** Box around a thumbnail centre that keeps its frame and its label clear of others, in graph units. */
export function minSeparationFor(resultCount) {
  const framed = resultNodeSize(resultCount) * 2 * SQUARE_HALF_SIDE * 1.25;
  return { x: framed + 0.03, y: framed + 0.08 }; // the label sits under the thumbnail
}

function withAlpha(hex, alpha) {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255},${(value >> 8) & 255},${value & 255},${alpha})`;
}

export function edgeColor(edge, sourceNode, targetNode) {
  if (edge.fromCentre && (sourceNode.isQuery || targetNode.isQuery)) return SPOKE_COLOR;
  const color = sourceNode.community === targetNode.community ? communityColor(sourceNode.community) : null;
  return color ? withAlpha(color, 0.55) : NEUTRAL_EDGE_COLOR;
}

/** Edge thickness in graph units (sigma keeps at least minEdgeThickness pixels). */
export function edgeSize(edge) {
  return 0.002 + 0.007 * Math.max(0, Math.min(1, edge.weight ?? 0));
}

/**
 * Map dots: one colour per diagnosis, in sorted order, so the legend and the dots agree. Past the palette
 * (the demo's chest X-rays alone have 15 findings) further colours are generated, so no two labels share one.
 */
export function labelColors(points) {
  const labels = [...new Set(points.map((point) => point.label).filter(Boolean))].sort();
  const extra = generatedColors(Math.max(0, labels.length - COMMUNITY_COLORS.length));
  return new Map(labels.map((label, index) => [label, COMMUNITY_COLORS[index] ?? extra[index - COMMUNITY_COLORS.length]]));
}

/** `count` colours spread by the golden angle over the hues, skipping red and yellow (halo and query). */
export function generatedColors(count) {
  const colors = [];
  for (let step = 1; colors.length < count; step += 1) {
    const hue = (step * 137.508) % 360;
    if (hue < 20 || hue > 340 || (hue > 35 && hue < 70)) continue;
    colors.push(hslToHex(hue, 0.7, colors.length % 2 ? 0.55 : 0.68));
  }
  return colors;
}

function hslToHex(hue, saturation, lightness) {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const channel = (n) => {
    const k = (n + hue / 30) % 12;
    const value = lightness - chroma / 2 * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255).toString(16).padStart(2, "0");
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}
