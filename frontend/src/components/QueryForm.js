// The query form's fields: PACS UIDs, k, encoder, keywords and filters, the search button, and value suggestions.
import { t } from "../i18n.js";
import { buildPacsFields, readPacsFields, writePacsFields } from "./PacsQueryFields.js";

const $ = (selector) => document.querySelector(selector);
export const FILTER_FIELDS = [["label", "#filter-label"], ["modality", "#filter-modality"], ["body_part", "#filter-body-part"],
                              ["sex", "#filter-sex"], ["age_min", "#filter-age-min"], ["age_max", "#filter-age-max"]];

export class QueryForm {
  constructor({ onInvalid }) {
    this.onInvalid = onInvalid;
    this.pacs = buildPacsFields();
    $("#pick-repository").after(this.pacs);
  }

  /** {study_uid, series_uid, sop_uid} as typed, or null: the server checks which combinations make a query. */
  readPacs() {
    return readPacsFields(this.pacs);
  }

  /** Empty the UID fields: another query (a file, a repository image) takes their place. */
  clearPacs() {
    writePacsFields(this.pacs, null);
  }

  /** k, encoder, keywords and filters; null (after onInvalid) when k or the ages are out of range. */
  read() {
    const k = Number($("#k").value);
    if (!Number.isInteger(k) || k < 1 || k > 200) {
      this.onInvalid("status.badK");
      return null;
    }
    const options = { k, encoder: $("#encoder").value, q: $("#keywords").value.trim() };
    for (const [field, selector] of FILTER_FIELDS) options[field] = $(selector).value.trim();
    const [ageMin, ageMax] = [options.age_min, options.age_max].map((value) => (value === "" ? null : Number(value)));
    if ([ageMin, ageMax].some((age) => age !== null && !(Number.isInteger(age) && age >= 0 && age <= 150))
        || (ageMin !== null && ageMax !== null && ageMin > ageMax)) {
      this.onInvalid("status.badAge");
      return null;
    }
    return options;
  }

  write(options) {
    if (options.k) $("#k").value = String(options.k);
    if (options.encoder !== undefined) $("#encoder").value = options.encoder;
    $("#keywords").value = options.q || "";
    for (const [field, selector] of FILTER_FIELDS) $(selector).value = options[field] ?? "";
    writePacsFields(this.pacs, options.pacs ?? null);
  }

  setBusy(isBusy) {
    const button = $("#search");
    button.disabled = isBusy;
    button.dataset.i18n = isBusy ? "form.searching" : "form.search";
    button.textContent = t(button.dataset.i18n);
    $("#graph-view").setAttribute("aria-busy", String(isBusy));
  }

  get isBusy() {
    return $("#search").disabled;
  }

  /** Offer every active encoder; without the list the default still works. */
  showEncoders(encoders) {
    const select = $("#encoder");
    for (const encoder of encoders) {
      select.append(new Option(`${encoder.name} v${encoder.version} (${encoder.dim})`, encoder.name));
    }
  }

  /** Suggest the diagnoses and modalities seen so far in the filter fields. */
  rememberValues(nodes) {
    for (const [listId, field] of [["#known-labels", "label"], ["#known-modalities", "modality"],
                                   ["#known-body-parts", "bodyPart"]]) {
      const list = $(listId);
      const known = new Set([...list.options].map((option) => option.value));
      for (const node of nodes) {
        if (node[field] && !known.has(node[field])) {
          known.add(node[field]);
          list.append(new Option(node[field], node[field]));
        }
      }
    }
  }
}
