// The query form's fields: PACS UIDs, k, encoder, keywords and filters (facets with counts), the search button,
// and value suggestions.
import { t } from "../i18n.js";
import { FACET_SELECTS, FacetFilters, selectFacetValue } from "./FacetFilters.js";
import { buildPacsFields, readPacsFields, writePacsFields } from "./PacsQueryFields.js";

const $ = (selector) => document.querySelector(selector);
const AGE_FIELDS = [["age_min", "#filter-age-min"], ["age_max", "#filter-age-max"]];
export const FILTER_FIELDS = [...FACET_SELECTS, ...AGE_FIELDS];

export class QueryForm {
  /** loadFacets(filters) -> the answer of GET /api/facets/ for those filters. */
  constructor({ onInvalid, loadFacets }) {
    this.onInvalid = onInvalid;
    this.pacs = buildPacsFields();
    $("#pick-repository").after(this.pacs);
    this.facets = new FacetFilters($("#filters"), {
      load: loadFacets,
      readFilters: () => this.readFilters(),
      onAgeBucket: ({ age_min: ageMin, age_max: ageMax }) => {
        $("#filter-age-min").value = ageMin ?? "";
        $("#filter-age-max").value = ageMax ?? "";
        this.facets.refreshSoon(0);
      },
    });
  }

  /** Count the facets (now and whenever a filter changes) once somebody is signed in; stop when nobody is. */
  enableFacets(isEnabled) {
    this.facets.enable(isEnabled);
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
    const filters = this.readFilters();
    if (!filters) {
      this.onInvalid("status.badAge");
      return null;
    }
    return { k, encoder: $("#encoder").value, q: $("#keywords").value.trim(), ...filters };
  }

  /** The filters as typed and chosen; null when the ages are not whole numbers from 0 to 150 in order. */
  readFilters() {
    const filters = {};
    for (const [field, selector] of FILTER_FIELDS) filters[field] = $(selector).value.trim();
    const [ageMin, ageMax] = [filters.age_min, filters.age_max].map((value) => (value === "" ? null : Number(value)));
    if ([ageMin, ageMax].some((age) => age !== null && !(Number.isInteger(age) && age >= 0 && age <= 150))
        || (ageMin !== null && ageMax !== null && ageMin > ageMax)) {
      return null;
    }
    return filters;
  }

  write(options) {
    if (options.k) $("#k").value = String(options.k);
    if (options.encoder !== undefined) $("#encoder").value = options.encoder;
    $("#keywords").value = options.q || "";
    for (const [field, selector] of FACET_SELECTS) selectFacetValue(field, $(selector), options[field]);
    for (const [field, selector] of AGE_FIELDS) $(selector).value = options[field] ?? "";
    writePacsFields(this.pacs, options.pacs ?? null);
    this.facets.refreshSoon(0);
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

  /** Offer every encoder that has an active version; without the list the default still works. */
  showEncoders(encoders) {
    const select = $("#encoder");
    for (const encoder of encoders.filter((item) => item.version != null)) { // untrained ones cannot answer
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
