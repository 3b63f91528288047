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

const unauthorizedListeners = new Set();

/** Called whenever the backend answers 401: the session is missing or has expired. */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
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
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener());
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

const SEARCH_FIELDS = ["k", "encoder", "q", "label", "modality", "body_part", "sex", "age_min", "age_max"];

/** The search form data: every non-empty option among k, encoder, keywords (q) and filters. */
function searchForm(options) {
  const form = new FormData();
  for (const field of SEARCH_FIELDS) {
    const value = options[field];
    if (value !== undefined && value !== null && value !== "") form.set(field, String(value));
  }
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

/** Where an image's thumbnail is served, for lists that do not carry thumbnail_url. */
export function thumbnailUrl(imageId) {
  return `/api/images/${encodeURIComponent(imageId)}/thumbnail/`;
}

/** Keyword-only search (options.q): images ranked by text relevance, linked by content. */
export function searchByKeywords(options) {
  return request("/api/search/", { method: "POST", body: searchForm(options) });
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

/** The signed-in user: {username, roles, capabilities}; 401 when nobody is signed in. */
export function getMe() {
  return request("/api/auth/me/");
}

export function signIn(username, password) {
  const form = new FormData();
  form.set("username", username);
  form.set("password", password);
  return request("/api/auth/login/", { method: "POST", body: form });
}

export function signOut() {
  return request("/api/auth/logout/", { method: "POST" });
}
