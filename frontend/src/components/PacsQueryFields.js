// The query form's PACS fields: Study, Series and SOP Instance UIDs of an image the PACS holds.
// They are built here (not in index.html) and translated through data-i18n like the rest of the form.
import { element } from "./dom.js";

export const UID_FIELDS = [["study_uid", "pacs-study-uid", "pacs.study"], ["series_uid", "pacs-series-uid", "pacs.series"],
                           ["sop_uid", "pacs-sop-uid", "pacs.sop"]];

function uidField(id, labelKey) {
  const input = element("input", { attrs: { id, type: "text", autocomplete: "off", spellcheck: "false", maxlength: "64",
                                            inputmode: "decimal", "aria-describedby": "pacs-hint" } });
  return element("label", { className: "field" }, [element("span", { attrs: { "data-i18n": labelKey } }), input]);
}

/** A collapsible group of the three UID fields, open when it holds a query. */
export function buildPacsFields() {
  return element("details", { className: "filters pacs-query", attrs: { id: "pacs-query" } }, [
    element("summary", { attrs: { "data-i18n": "pacs.heading" } }),
    ...UID_FIELDS.map(([, id, labelKey]) => uidField(id, labelKey)),
    element("p", { className: "field-hint", attrs: { id: "pacs-hint", "data-i18n": "pacs.hint" } }),
  ]);
}

/** {study_uid, series_uid, sop_uid} of the filled fields (trimmed), or null when all are empty. */
export function readPacsFields(root) {
  const uids = {};
  for (const [field, id] of UID_FIELDS) {
    const value = root.querySelector(`#${id}`).value.trim();
    if (value) uids[field] = value;
  }
  return Object.keys(uids).length ? uids : null;
}

/** Show these UIDs (a PACS view of the history), or empty the fields. */
export function writePacsFields(root, uids = null) {
  for (const [field, id] of UID_FIELDS) root.querySelector(`#${id}`).value = uids?.[field] ?? "";
  if (uids) root.open = true;
}

/** The status line after a PACS search: series-level answers say so, with the number of query slices. */
export function pacsDoneMessage(view) {
  return view.query?.level === "series" ? ["status.foundSeries", { slices: view.query.slice_count }] : ["status.found", {}];
}
