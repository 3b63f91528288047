// The only module that talks to the backend (see /api/ in browser/urls.py).

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function request(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, { method, body, headers, credentials: "same-origin" });
  } catch {
    throw new ApiError("network", 0);
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const message = payload && typeof payload.error === "string" ? payload.error : `HTTP ${response.status}`;
    throw new ApiError(message, response.status);
  }
  return payload;
}

function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

function searchForm({ k, encoder, label, modality }) {
  const form = new FormData();
  if (k) form.set("k", String(k));
  if (encoder) form.set("encoder", encoder);
  if (label) form.set("label", label);
  if (modality) form.set("modality", modality);
  return form;
}

/** Search with an uploaded file (PNG, JPEG or DICOM). */
export function searchByFile(file, options) {
  const form = searchForm(options);
  form.set("image", file, file.name);
  return request("/api/search/", { method: "POST", body: form });
}

/** "More like this": search with an image already in the repository. */
export function searchByImageId(imageId, options) {
  const form = searchForm(options);
  form.set("image_id", String(imageId));
  return request("/api/search/", { method: "POST", body: form });
}

export function getImage(imageId) {
  return request(`/api/images/${encodeURIComponent(imageId)}/`);
}

/** Neighbours of a repository image, in the same shape as a search response. */
export function getNeighbours(imageId, { k, encoder } = {}) {
  return request(withQuery(`/api/images/${encodeURIComponent(imageId)}/neighbours/`, { k, encoder }));
}

export function listEncoders() {
  return request("/api/encoders/");
}

/** One page of repository images: { count, results }. */
export async function listImages({ limit = 24, offset = 0, label, modality } = {}) {
  const payload = await request(withQuery("/api/images/", { limit, offset, label, modality }));
  if (Array.isArray(payload)) return { count: payload.length, results: payload };
  return { count: payload.count ?? payload.results.length, results: payload.results ?? [] };
}
