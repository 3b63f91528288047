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

async function request(url, { method = "GET", body, json, withTotal = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(url, { method, body, headers, credentials: "same-origin" });
  } catch {
    throw new ApiError("network", 0);
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener());
    const message = errorText(payload) || `HTTP ${response.status}`;
    throw new ApiError(message, response.status);
  }
  if (!withTotal) return payload;
  const total = Number.parseInt(response.headers.get("X-Total-Count") ?? "", 10);
  return { rows: payload, total: Number.isNaN(total) ? payload.length : total };
}

/** Rows per request of a paged list; the server allows up to 500. */
export const LIST_PAGE = 200;

/**
 * The first `count` rows of a paged list (`?limit=&offset=`, total in X-Total-Count) and its total:
 * {rows, total}. Asks page after page, so a view can show more than one page and reload what it shows.
 */
export async function firstRows(path, count = LIST_PAGE, params = {}) {
  const rows = [];
  let total = 0;
  do {
    const limit = Math.min(LIST_PAGE, count - rows.length);
    const page = await request(withQuery(path, { ...params, limit, offset: rows.length }), { withTotal: true });
    // a row added or moved between two requests shifts the pages: keep each id once
    const seen = new Set(rows.map((row) => row.id));
    rows.push(...page.rows.filter((row) => row.id === undefined || !seen.has(row.id)));
    total = page.total;
    if (!page.rows.length) break;
  } while (rows.length < Math.min(count, total));
  return { rows, total };
}

/** The server's explanation: {error}, DRF's {detail}, or the first field error. */
function errorText(payload) {
  if (!payload || typeof payload !== "object") return "";
  if (typeof payload.error === "string") return payload.error;
  if (typeof payload.detail === "string") return payload.detail;
  const first = Object.values(payload)[0];
  return Array.isArray(first) && typeof first[0] === "string" ? first[0] : "";
}

function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

const SEARCH_FIELDS = ["k", "encoder", "q", "label", "modality", "body_part", "sex", "age_min", "age_max", "dataset",
                       "teaching_set"];

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

/**
 * Search with an image held by the PACS: uids = {study_uid, series_uid, sop_uid}. Without sop_uid the
 * whole series is the query and the results are series (each drawn as its best-matching image).
 */
export function searchByPacs(uids, options) {
  const form = searchForm(options);
  for (const field of ["study_uid", "series_uid", "sop_uid"]) {
    if (uids[field]) form.set(field, uids[field]);
  }
  return request("/api/search/", { method: "POST", body: form });
}

/** Keyword-only search (options.q): images ranked by text relevance, linked by content. */
export function searchByKeywords(options) {
  return request("/api/search/", { method: "POST", body: searchForm(options) });
}

export function getImage(imageId) {
  return request(`/api/images/${encodeURIComponent(imageId)}/`);
}

const RAW_VALUE_ARRAYS = { int16: Int16Array, uint16: Uint16Array, float32: Float32Array };

/** A non-JSON answer (errors still come as JSON, as from every endpoint): the ok Response, else an ApiError. */
async function fetchOk(url, accept) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: accept }, credentials: "same-origin" });
  } catch {
    throw new ApiError("network", 0);
  }
  if (!response.ok) {
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener());
    const payload = await response.json().catch(() => null);
    throw new ApiError(errorText(payload) || `HTTP ${response.status}`, response.status);
  }
  return response;
}

/** A binary answer, with its headers. */
async function requestBinary(url) {
  // application/json too: DRF answers errors with it, and refuses (406) an Accept it cannot render
  const response = await fetchOk(url, "application/octet-stream, application/json;q=0.9");
  return { buffer: await response.arrayBuffer(), headers: response.headers };
}

/**
 * Fetch an export and hand it to the browser as a download. Unlike a plain link, a refusal (a missing
 * file, a set no longer shared, an index not ready) throws an ApiError with the server's message.
 */
export async function download(url) {
  const response = await fetchOk(url, "*/*");
  const disposition = response.headers.get("Content-Disposition") || "";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = (/filename="?([^";]+)"?/.exec(disposition) || [])[1] || "export";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/**
 * One frame's DICOM modality values (HU for CT), for window/level: {values (typed array, row-major),
 * width, height, frame, frameCount, min, max, window: {center, width, source}, voiLutFunction,
 * photometric, units, modality}. 404 without a stored DICOM; 400 for a colour DICOM or a bad frame.
 */
export async function getRawFrame(imageId, frame = 0) {
  const { buffer, headers } = await requestBinary(withQuery(`/api/images/${encodeURIComponent(imageId)}/raw/`, { frame }));
  const number = (name) => Number(headers.get(name));
  const ArrayType = RAW_VALUE_ARRAYS[headers.get("X-Value-Type")] || Float32Array;
  return {
    values: new ArrayType(buffer), // little-endian on the wire, as every browser's typed arrays are
    width: number("X-Width"), height: number("X-Height"), frame: number("X-Frame"), frameCount: number("X-Frame-Count"),
    min: number("X-Min"), max: number("X-Max"),
    window: { center: number("X-Window-Center"), width: number("X-Window-Width"), source: headers.get("X-Window-Source") },
    voiLutFunction: headers.get("X-Voi-Lut-Function") || "LINEAR", photometric: headers.get("X-Photometric") || "MONOCHROME2",
    units: headers.get("X-Units") || "", modality: headers.get("X-Modality") || "",
  };
}

/** The visible images of an image's series: {image_id, series_id, images: [{id, instance_number, frame_count, has_dicom}]}. */
export function getImageSeries(imageId) {
  return request(`/api/images/${encodeURIComponent(imageId)}/series/`);
}

const FACET_FILTERS = ["label", "modality", "body_part", "sex", "age_min", "age_max", "dataset", "teaching_set"];

/**
 * Neighbours of a repository image, in the same shape as a search response, within the same metadata
 * filters as the search being expanded (filters: label, modality, body_part, sex, age_min, age_max, dataset,
 * teaching_set; others are ignored).
 */
export function getNeighbours(imageId, { k, encoder, ...filters } = {}) {
  const kept = Object.fromEntries(FACET_FILTERS.map((field) => [field, filters[field]]));
  return request(withQuery(`/api/images/${encodeURIComponent(imageId)}/neighbours/`, { k, encoder, ...kept }));
}

/**
 * Facet counts for these filters: {total, facets: {label, modality, body_part, sex, age, dataset, teaching_set:
 * {values: [{value, count, title?, age_min?, age_max?}], truncated}}}, each counted with every other filter.
 */
export function getFacets(filters = {}) {
  return request(withQuery("/api/facets/", Object.fromEntries(FACET_FILTERS.map((field) => [field, filters[field]]))));
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
/** Django's JSON catalogue of the UI's strings in `language` ({catalog, formats, plural}). */
export function getCatalogue(language) {
  return request(`/jsi18n/${encodeURIComponent(language)}/`);
}

export function getMe() {
  return request("/api/auth/me/");
}

export async function signIn(username, password) {
  if (!csrfToken()) {
    // signing in needs the CSRF cookie; this answer sets it (even as a 401) when it was cleared
    await fetch("/api/auth/me/", { credentials: "same-origin" }).catch(() => {});
  }
  const form = new FormData();
  form.set("username", username);
  form.set("password", password);
  return request("/api/auth/login/", { method: "POST", body: form });
}

export function signOut() {
  return request("/api/auth/logout/", { method: "POST" });
}

// --- teaching sets (educators edit; students read the shared ones) ---

/** {rows, total}: the first `count` visible sets, or only those the user may edit. */
export function listTeachingSets({ count = LIST_PAGE, editable = false } = {}) {
  return firstRows("/api/teaching-sets/", count, { editable: editable ? "true" : "" });
}

export function getTeachingSet(setId) {
  return request(`/api/teaching-sets/${encodeURIComponent(setId)}/`);
}

export function createTeachingSet({ title, description = "" }) {
  return request("/api/teaching-sets/", { method: "POST", json: { title, description } });
}

/** Change title, description, is_shared_with_students or shared_with_groups. */
export function updateTeachingSet(setId, changes) {
  return request(`/api/teaching-sets/${encodeURIComponent(setId)}/`, { method: "PATCH", json: changes });
}

/** [{name, member_count}]: the groups (cohorts) a teaching set may be shared with; educators only. */
export function listShareableGroups() {
  return request("/api/groups/");
}

export function deleteTeachingSet(setId) {
  return request(`/api/teaching-sets/${encodeURIComponent(setId)}/`, { method: "DELETE" });
}

export function addTeachingCase(setId, { imageId, teachingNote = "", keyFindings = "" }) {
  return request(`/api/teaching-sets/${encodeURIComponent(setId)}/cases/`,
                 { method: "POST", json: { image_id: imageId, teaching_note: teachingNote, key_findings: keyFindings } });
}

export function annotateTeachingCase(setId, caseId, { teachingNote, keyFindings }) {
  return request(`/api/teaching-sets/${encodeURIComponent(setId)}/cases/${encodeURIComponent(caseId)}/`,
                 { method: "PATCH", json: { teaching_note: teachingNote, key_findings: keyFindings } });
}

export function removeTeachingCase(setId, caseId) {
  return request(`/api/teaching-sets/${encodeURIComponent(setId)}/cases/${encodeURIComponent(caseId)}/`,
                 { method: "DELETE" });
}

/** Put the cases in this order; answers the cases in their new order. */
export function reorderTeachingCases(setId, caseIds) {
  return request(`/api/teaching-sets/${encodeURIComponent(setId)}/order/`, { method: "POST", json: { case_ids: caseIds } });
}

/** Where the set's zip (images, cases.csv, FHIR bundle) is downloaded from; format png or dicom. */
export function teachingSetExportUrl(setId, format) {
  // PNG is the server's default; DRF reads ?format= as its renderer override and answers 404 to
  // "png" (reported to the lead), so the parameter is sent only when it differs from the default.
  return withQuery(`/api/teaching-sets/${encodeURIComponent(setId)}/export/`, { format: format === "png" ? "" : format });
}

// --- saved searches (researchers) ---

export function listSavedSearches() {
  return request("/api/saved-searches/");
}

const FILTER_FIELDS = ["label", "modality", "body_part", "sex", "age_min", "age_max", "dataset", "teaching_set"];

/** Save a query: the uploaded file or a repository image id, keywords, k, encoder and filters. */
export function saveSearch(name, { file, imageId, ...options }) {
  const form = new FormData();
  form.set("name", name);
  if (file) form.set("image", file, file.name);
  else if (imageId != null) form.set("image_id", String(imageId));
  for (const field of ["q", "k", "encoder"]) {
    if (options[field] !== undefined && options[field] !== null && options[field] !== "") form.set(field, String(options[field]));
  }
  const filters = Object.fromEntries(FILTER_FIELDS.filter((field) => options[field] !== undefined && options[field] !== null
                                                                   && options[field] !== "")
                                                   .map((field) => [field, options[field]]));
  form.set("filters", JSON.stringify(filters));
  return request("/api/saved-searches/", { method: "POST", body: form });
}

/** Run a saved search again: a search response. */
export function runSavedSearch(savedId) {
  return request(`/api/saved-searches/${encodeURIComponent(savedId)}/run/`, { method: "POST" });
}

export function deleteSavedSearch(savedId) {
  return request(`/api/saved-searches/${encodeURIComponent(savedId)}/`, { method: "DELETE" });
}

export function savedSearchExportUrl(savedId) {
  return `/api/saved-searches/${encodeURIComponent(savedId)}/export/`;
}

// --- why similar, repository map, curation ---

/** {similarity, query_overlay, result_overlay}: with a repository query image id, else the uploaded file. */
export function whySimilar(resultId, { queryImageId, file, encoder }) {
  if (queryImageId != null) {
    return request(withQuery(`/api/images/${encodeURIComponent(resultId)}/why-similar/`,
                             { query_image_id: queryImageId, encoder }));
  }
  const form = new FormData();
  form.set("result_id", String(resultId));
  if (encoder) form.set("encoder", encoder);
  if (file) form.set("image", file, file.name);
  return request("/api/why-similar/", { method: "POST", body: form });
}

/** {points: [{id, x, y, label, modality, is_abnormal, thumbnail_url}]}; 503 before build_map ran. */
export function getRepositoryMap({ encoder, label, modality } = {}) {
  return request(withQuery("/api/map/", { encoder, label, modality }));
}

/** {rows, total}: the first `count` images held for review. */
export function listQuarantined(count = LIST_PAGE) {
  return firstRows("/api/curation/quarantine/", count);
}

export function releaseQuarantined(imageId, reviewerNote) {
  return request(`/api/curation/quarantine/${encodeURIComponent(imageId)}/`,
                 { method: "POST", json: { reviewer_note: reviewerNote } });
}

export function deleteQuarantined(imageId) {
  return request(`/api/curation/quarantine/${encodeURIComponent(imageId)}/`, { method: "DELETE" });
}

/** {rows, total}: the first `count` rejections, newest first. */
export function listRejections(count = LIST_PAGE) {
  return firstRows("/api/curation/rejections/", count);
}

/**
 * Ingest files into the repository (curators): [{name, status, image_id, reason}] per file, status
 * stored, present (already there), quarantined or refused. fields: dataset, label, modality, body_part.
 */
export function uploadToRepository(files, fields = {}) {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  for (const [field, value] of Object.entries(fields)) {
    if (value) form.set(field, value);
  }
  return request("/api/curation/uploads/", { method: "POST", body: form });
}
