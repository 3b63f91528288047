// The UI's strings: each a key and its English text. Other languages come from Django's
// JavaScript catalogue (frontend/locale/<language>/LC_MESSAGES/djangojs.po, served as JSON at
// /jsi18n/<language>/), whose entries are keyed by these keys (msgctxt) and English texts (msgid).
// After adding or changing a string: `make messages`, translate the new entries in the .po.
import { getCatalogue } from "./api.js";
import { pgettext } from "./i18nMarks.js";
import { WORKSPACE_ENGLISH } from "./i18nWorkspace.js";

const ENGLISH = Object.fromEntries([
  pgettext("signin.title", "Sign in"),
  pgettext("signin.hint", "The browser shows de-identified cases to signed-in users only."),
  pgettext("signin.username", "Username"),
  pgettext("signin.password", "Password"),
  pgettext("signin.submit", "Sign in"),
  pgettext("signin.wrong", "Wrong username or password."),
  pgettext("signin.signOut", "Sign out"),
  pgettext("signin.signedInAs", "{name} ({roles})"),
  pgettext("app.title", "Visual similarity browser"),
  pgettext("app.subtitle", "Content-based medical image retrieval"),
  pgettext("language.label", "Language"),
  pgettext("query.heading", "Query"),
  pgettext("upload.title", "Drop an image here"),
  pgettext("upload.hint", "or click to choose a PNG, JPEG or DICOM file"),
  pgettext("upload.replace", "Drop or click to replace"),
  pgettext("upload.repositoryImage", "Repository image #{id}"),
  pgettext("picker.open", "Pick an image from the repository"),
  pgettext("picker.title", "Pick an image from the repository"),
  pgettext("picker.close", "Close"),
  pgettext("picker.filterLabel", "Diagnosis"),
  pgettext("picker.filterModality", "Modality"),
  pgettext("picker.apply", "Filter"),
  pgettext("picker.previous", "Previous"),
  pgettext("picker.next", "Next"),
  pgettext("picker.page", "{from}–{to} of {count}"),
  pgettext("picker.empty", "No images match these filters."),
  pgettext("picker.loading", "Loading images…"),
  pgettext("picker.choose", "Search with image #{id} ({label})"),
  pgettext("form.k", "Results (k)"),
  pgettext("form.encoder", "Encoder"),
  pgettext("form.encoderDefault", "Default"),
  pgettext("form.filters", "Filters (optional)"),
  pgettext("form.label", "Diagnosis"),
  pgettext("form.modality", "Modality"),
  pgettext("form.anyPlaceholder", "any"),
  pgettext("form.keywords", "Keywords (optional)"),
  pgettext("form.keywordsPlaceholder", "e.g. meningioma, contrast"),
  pgettext("form.bodyPart", "Body part"),
  pgettext("form.sex", "Sex"),
  pgettext("form.ageMin", "Age from"),
  pgettext("form.ageMax", "Age to"),
  pgettext("form.dataset", "Dataset"),
  pgettext("form.teachingSet", "Teaching set"),
  pgettext("form.ageGroups", "Age groups"),
  pgettext("form.ageUnknown", "unknown"),
  pgettext("form.ageBucketHint", "Use this age group as the age range"),
  pgettext("form.facetOption", "{value} ({count})"),
  pgettext("form.facetMore", "Only the {n} most frequent values are listed"),
  pgettext("form.facetTotal", "Images matching these filters: {n}"),
  pgettext("pacs.heading", "Query the PACS by UIDs"),
  pgettext("pacs.study", "Study Instance UID"),
  pgettext("pacs.series", "Series Instance UID"),
  pgettext("pacs.sop", "SOP Instance UID (optional)"),
  pgettext("pacs.hint", "Filled UIDs are the query. Without a SOP Instance UID the whole series is searched and the results are series."),
  pgettext("status.foundSeries", "Found {n} similar series in {ms} ms ({slices} query slices)"),
  pgettext("list.series", "Images in the series: {images} · query slices matched: {matched}"),
  pgettext("status.badAge", "Ages must be whole numbers from 0 to 150, the first not above the second."),
  pgettext("status.noQuery", "Choose an image (or type keywords) first."),
  pgettext("query.keywords", "Keywords"),
  pgettext("panel.queryKeywords", "Keywords: {q}"),
  pgettext("form.search", "Search"),
  pgettext("form.searching", "Searching…"),
  pgettext("query.parameters", "How this query was answered"),
  pgettext("query.index", "Index"),
  pgettext("query.filters", "Filters"),
  pgettext("query.recall", "Recall (measured)"),
  pgettext("query.vectors", "Indexed images"),
  pgettext("query.timings", "Timings"),
  pgettext("legend.heading", "Symbology"),
  pgettext("legend.query", "Query image"),
  pgettext("legend.abnormal", "Abnormal finding (red halo)"),
  pgettext("legend.normal", "Normal (no halo)"),
  pgettext("legend.unknown", "Finding unknown"),
  pgettext("legend.distance", "Distance from the centre grows with dissimilarity"),
  pgettext("legend.community", "Group {n}"),
  pgettext("legend.communities", "Groups of mutually similar results (edge and label colour)"),
  pgettext("views.label", "Result views"),
  pgettext("views.graph", "Graph"),
  pgettext("views.list", "List"),
  pgettext("history.back", "Back"),
  pgettext("permalink.copy", "Copy permalink"),
  pgettext("permalink.copied", "Permalink copied to the clipboard."),
  pgettext("permalink.shown", "Permalink: {url}"),
  pgettext("permalink.unavailable", "Permalinks need a repository image as query: use “More like this” on a result."),
  pgettext("status.idle", "Upload an image or pick one from the repository."),
  pgettext("status.searching", "Searching…"),
  pgettext("status.found", "Found {n} similar images in {ms} ms"),
  pgettext("status.expanding", "Loading the neighbours of image #{id}…"),
  pgettext("status.expanded", "Added {n} neighbours of image #{id} in {ms} ms"),
  pgettext("status.restored", "Back to the previous view."),
  pgettext("status.error", "Error: {message}"),
  pgettext("status.badK", "k must be a whole number from 1 to 200."),
  pgettext("status.network", "the server could not be reached"),
  pgettext("summary.index", "{method} index · recall {recall} · {count} vectors · encoder {encoder} v{version}"),
  pgettext("summary.exact", "exact search · {count} vectors · encoder {encoder} v{version}"),
  pgettext("graph.ariaLabel", "Proximity graph of the query and its most similar images"),
  pgettext("graph.empty", "Drop an image here, upload one on the left or pick one from the repository to see its most similar images."),
  pgettext("graph.zoomIn", "Zoom in"),
  pgettext("graph.zoomOut", "Zoom out"),
  pgettext("graph.zoomReset", "Fit the graph"),
  pgettext("graph.query", "Query"),
  pgettext("node.rank", "Rank"),
  pgettext("node.score", "Similarity"),
  pgettext("node.distance", "Distance"),
  pgettext("node.abnormal", "Abnormal"),
  pgettext("node.normal", "Normal"),
  pgettext("node.community", "Group"),
  pgettext("panel.close", "Close"),
  pgettext("panel.loading", "Loading metadata…"),
  pgettext("panel.expand", "Expand"),
  pgettext("panel.expandHint", "Add this image's nearest neighbours to the graph"),
  pgettext("panel.moreLikeThis", "More like this"),
  pgettext("panel.openImage", "Open full image"),
  pgettext("display.brightness", "Brightness"),
  pgettext("display.contrast", "Contrast"),
  pgettext("display.invert", "Invert"),
  pgettext("display.reset", "Reset"),
  pgettext("viewer.preset", "Window preset"),
  pgettext("viewer.preset.default", "DICOM default"),
  pgettext("viewer.preset.full", "Full range"),
  pgettext("viewer.preset.lung", "Lung"),
  pgettext("viewer.preset.mediastinum", "Mediastinum"),
  pgettext("viewer.preset.bone", "Bone"),
  pgettext("viewer.preset.brain", "Brain"),
  pgettext("viewer.preset.custom", "Custom"),
  pgettext("viewer.width", "Width (W)"),
  pgettext("viewer.level", "Level (L)"),
  pgettext("viewer.units", "Values in {units}"),
  pgettext("viewer.slice", "Slice"),
  pgettext("viewer.sliceOf", "slice {i} / {n}"),
  pgettext("viewer.hint", "Drag on the image (left or right button) to adjust W/L; wheel or arrow keys change the slice."),
  pgettext("viewer.canvas", "DICOM image #{id}, slice {i} of {n}, window width {width}, level {level}"),
  pgettext("viewer.loading", "Loading DICOM values…"),
  pgettext("viewer.sliceError", "Could not load this slice: {message}"),
  pgettext("viewer.unavailable", "Window/level on the DICOM values is unavailable: {message}"),
  pgettext("panel.imageAlt", "Image #{id}: {label}"),
  pgettext("panel.queryTitle", "Query image"),
  pgettext("panel.queryUpload", "Uploaded file: {name}"),
  pgettext("panel.queryNoPreview", "No preview for this file type."),
  pgettext("panel.metadata", "Metadata"),
  pgettext("panel.study", "Study"),
  pgettext("panel.series", "Series"),
  pgettext("panel.extra", "Additional metadata"),
  pgettext("panel.notes", "Notes"),
  pgettext("panel.error", "Could not load the metadata: {message}"),
  pgettext("field.id", "ID"),
  pgettext("field.label", "Diagnosis"),
  pgettext("field.labels", "Labels"),
  pgettext("field.modality", "Modality"),
  pgettext("field.body_part", "Body part"),
  pgettext("field.sex", "Sex"),
  pgettext("field.age_years", "Age (years)"),
  pgettext("field.dataset", "Dataset"),
  pgettext("field.status", "Status"),
  pgettext("field.manufacturer", "Device brand"),
  pgettext("field.institution", "Organization"),
  pgettext("field.study_uid", "Study UID"),
  pgettext("field.series_uid", "Series UID"),
  pgettext("field.sop_uid", "SOP instance UID"),
  pgettext("field.patient", "Patient (pseudonym)"),
  pgettext("field.accession_number", "Accession number"),
  pgettext("field.study_date", "Study date"),
  pgettext("field.description", "Description"),
  pgettext("field.number", "Number"),
  pgettext("field.width", "Width (px)"),
  pgettext("field.height", "Height (px)"),
  pgettext("field.frame_count", "Frames"),
  pgettext("field.source_format", "Source format"),
  pgettext("field.diagnosis", "Diagnosis"),
  pgettext("field.teaching_set", "Teaching set"),
  pgettext("list.empty", "No results yet."),
  pgettext("list.rank", "#{rank}"),
  pgettext("list.nearRank", "#{rank} near #{id}"),
  pgettext("value.none", "—"),
  pgettext("value.status.ready", "Ready"),
  pgettext("value.status.quarantined", "Quarantined"),
  pgettext("value.sex.M", "Male"),
  pgettext("value.sex.F", "Female"),
  pgettext("value.sex.O", "Other"),
  ...WORKSPACE_ENGLISH,
]);

/** The languages of the page's menu, which the server fills from Django's settings.LANGUAGES. */
export function languages() {
  const options = globalThis.document?.querySelectorAll?.("#language option") ?? [];
  const codes = Array.from(options, (option) => option.value);
  return codes.length ? codes : ["en"];
}
const STORAGE_KEY = "cbir.language";
const CONTEXT_SEPARATOR = "\u0004"; // how gettext joins msgctxt and msgid in a catalogue key
const listeners = new Set();

let current = "en";
let translations = {}; // "key\u0004English" -> text in the current language

function initialLanguage() {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (languages().includes(stored)) return stored;
  const browser = (globalThis.navigator?.language || "en").slice(0, 2);
  return languages().includes(browser) ? browser : "en";
}

export function getLanguage() {
  return current;
}

/** Every key with its English text (for tests and tools). */
export function englishStrings() {
  return { ...ENGLISH };
}

/** Translate a key, filling {placeholders} from params; untranslated keys fall back to English. */
export function t(key, params = {}) {
  const english = ENGLISH[key];
  if (english === undefined) return key;
  const template = translations[`${key}${CONTEXT_SEPARATOR}${english}`] ?? english;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function hasTranslation(key) {
  return key in ENGLISH;
}

/** Fill [data-i18n] text and [data-i18n-attr="attr:key;attr:key"] attributes below root. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of element.dataset.i18nAttr.split(";")) {
      const [attribute, key] = pair.split(":");
      element.setAttribute(attribute.trim(), t(key.trim()));
    }
  }
  document.documentElement.lang = current;
}

/** Use `catalogue` (Django's JSON catalogue's "catalog" object) for `language`, without fetching. */
export function useCatalogue(language, catalogue) {
  current = language;
  translations = catalogue || {};
}

/** Switch language: fetch its catalogue from Django (English needs none), then re-translate. */
export async function setLanguage(language, { force = false } = {}) {
  if (!languages().includes(language) || (language === current && !force)) return;
  try {
    useCatalogue(language, language === "en" ? {} : (await getCatalogue(language)).catalog);
  } catch (error) {
    console.warn(`no ${language} catalogue, staying in ${current}:`, error);
    return;
  }
  globalThis.localStorage?.setItem(STORAGE_KEY, language);
  translatePage();
  for (const listener of listeners) listener(language);
}

/** The language the user chose before (or the browser's), loaded before the page is first drawn. */
export function startLanguage() {
  return setLanguage(initialLanguage(), { force: true });
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
