// The URL hash that reproduces a view: query (image or keywords), k, encoder, filters and expanded nodes.

const FIELDS = ["image_id", "k", "encoder", "q", "label", "modality", "body_part", "sex", "age_min", "age_max", "dataset",
                "teaching_set"];
const TEXT_FIELDS = ["encoder", "q", "label", "modality", "body_part", "sex", "age_min", "age_max", "dataset", "teaching_set"];

/** {imageId, k, encoder, q, filters…, expanded: [ids]} from "#image_id=17&k=20&expand=23,45"; null without a query. */
export function parsePermalink(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const imageId = Number.parseInt(params.get("image_id"), 10);
  if (!Number.isInteger(imageId) && !params.get("q")) return null;
  const k = Number.parseInt(params.get("k"), 10);
  const link = { imageId: Number.isInteger(imageId) ? imageId : null, k: Number.isInteger(k) ? k : null };
  for (const field of TEXT_FIELDS) link[field] = params.get(field) || "";
  link.expanded = (params.get("expand") || "").split(",").map((id) => Number.parseInt(id, 10)).filter(Number.isInteger);
  return link;
}

/** The hash of a view, or "" when its query is an uploaded file (nothing to link to) or PACS UIDs (never put in URLs). */
export function buildPermalinkHash({ imageId, expanded = [], ...options }) {
  if (options.pacs) return "";
  const hasImage = imageId !== null && imageId !== undefined;
  if (!hasImage && (options.file || !options.q)) return "";
  const values = { ...options, image_id: hasImage ? imageId : null };
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    if (values[field] !== undefined && values[field] !== null && values[field] !== "") params.set(field, String(values[field]));
  }
  if (expanded.length) params.set("expand", expanded.join(","));
  return `#${params.toString().replace(/%2C/g, ",")}`;
}
