// The filters as facets: each select lists its values with how many images match the other filters;
// the age buckets beside the age range fill it when clicked. Counts come from GET /api/facets/.
import { hasTranslation, onLanguageChange, t } from "../i18n.js";

const DEBOUNCE_MS = 250;
export const FACET_SELECTS = [["label", "#filter-label"], ["modality", "#filter-modality"], ["body_part", "#filter-body-part"],
                              ["sex", "#filter-sex"], ["dataset", "#filter-dataset"], ["teaching_set", "#filter-teaching-set"]];
const CASE_INSENSITIVE = new Set(["label", "modality", "body_part", "sex"]); // the server filters them with iexact
const DATALISTS = [["label", "#known-labels"], ["modality", "#known-modalities"], ["body_part", "#known-body-parts"]];
const MORE_VALUE = "__more_values__"; // the disabled "more values" line, never chosen

function sameValue(facet, a, b) {
  return CASE_INSENSITIVE.has(facet) ? String(a).toLowerCase() === String(b).toLowerCase() : String(a) === String(b);
}

function valueText(facet, item) {
  if (facet === "teaching_set") return item.title ?? `#${item.value}`;
  if (facet === "sex" && hasTranslation(`value.sex.${item.value}`)) return t(`value.sex.${item.value}`);
  return String(item.value);
}

function bucketText(item) {
  if (item.age_min === null) return t("form.ageUnknown");
  return item.age_max === null ? `${item.age_min}+` : `${item.age_min}–${item.age_max}`;
}

/** Select `value` in a facet select, adding an option for it when the counts have not listed it (yet). */
export function selectFacetValue(facet, select, value) {
  const wanted = value === undefined || value === null ? "" : String(value);
  const match = [...select.options].find((option) => option.value !== MORE_VALUE && sameValue(facet, option.value, wanted));
  if (!match) select.append(new Option(facet === "teaching_set" ? `#${wanted}` : wanted, wanted));
  select.value = match ? match.value : wanted;
}

export class FacetFilters {
  /** readFilters() -> the filters to count with, or null while they are invalid; onAgeBucket(item) fills the ages. */
  constructor(fieldset, { load, readFilters, onAgeBucket }) {
    this.fieldset = fieldset;
    this.load = load;
    this.readFilters = readFilters;
    this.onAgeBucket = onAgeBucket;
    this.isEnabled = false; // only once somebody is signed in: the counts need a session
    this.answer = null;
    this.ticket = 0; // answers to anything but the latest request are dropped
    this.timer = null;
    fieldset.addEventListener("change", (event) => {
      if (event.target.matches("select, input")) this.refreshSoon();
    });
    fieldset.addEventListener("input", (event) => {
      if (event.target.type === "number") this.refreshSoon();
    });
    onLanguageChange(() => this.render());
  }

  enable(isEnabled) {
    this.isEnabled = isEnabled;
    clearTimeout(this.timer);
    if (isEnabled) this.refreshSoon(0);
  }

  refreshSoon(delay = DEBOUNCE_MS) {
    if (!this.isEnabled) return;
    clearTimeout(this.timer);
    this.fieldset.dataset.facets = "pending";
    this.timer = setTimeout(() => this.refresh(), delay);
  }

  async refresh() {
    if (!this.isEnabled) return;
    const filters = this.readFilters();
    if (!filters) {
      this.fieldset.dataset.facets = "invalid";
      return;
    }
    const ticket = ++this.ticket;
    this.fieldset.dataset.facets = "loading";
    try {
      const answer = await this.load(filters);
      if (ticket !== this.ticket) return;
      this.answer = answer;
      this.render();
      this.fieldset.dataset.facets = "ready";
    } catch {
      // The selects keep their last counts; searching works without them.
      if (ticket === this.ticket) this.fieldset.dataset.facets = "error";
    }
  }

  render() {
    if (!this.answer) return;
    const { facets, total } = this.answer;
    for (const [facet, selector] of FACET_SELECTS) {
      if (facets[facet]) this.renderSelect(facet, this.fieldset.querySelector(selector), facets[facet]);
    }
    if (facets.age) this.renderAgeBuckets(facets.age.values);
    this.rememberValues(facets);
    const totalLine = this.fieldset.querySelector("#facet-total");
    totalLine.textContent = t("form.facetTotal", { n: total });
    this.fieldset.dataset.facetTotal = String(total);
  }

  renderSelect(facet, select, { values, truncated }) {
    const selected = select.value;
    const items = [...values];
    let match = selected ? items.find((item) => sameValue(facet, item.value, selected)) : null;
    if (selected && !match) {
      match = { value: selected, count: 0, title: [...select.options].find((o) => o.value === selected)?.dataset.title };
      items.push(match);
    }
    const options = items.map((item) => {
      const option = new Option(t("form.facetOption", { value: valueText(facet, item), count: item.count }), String(item.value));
      if (item.title) option.dataset.title = item.title;
      return option;
    });
    if (truncated) {
      const more = new Option(t("form.facetMore", { n: values.length }), MORE_VALUE);
      more.disabled = true;
      options.push(more);
    }
    select.replaceChildren(select.options[0], ...options); // the first option is "any"
    select.value = match ? String(match.value) : "";
  }

  /** One button per bucket (updated in place, so focus stays on the one clicked); unknown ages as text. */
  renderAgeBuckets(values) {
    const list = this.fieldset.querySelector("#age-buckets");
    if (list.children.length !== values.length) {
      list.replaceChildren(...values.map((item) => {
        if (item.age_min === null) return Object.assign(document.createElement("span"), { className: "age-bucket unknown" });
        const button = Object.assign(document.createElement("button"), { type: "button", className: "age-bucket" });
        button.addEventListener("click", () => this.onAgeBucket(this.bucketOf(button)));
        return button;
      }));
    }
    const [ageMin, ageMax] = ["#filter-age-min", "#filter-age-max"].map((selector) => this.fieldset.querySelector(selector).value);
    values.forEach((item, index) => {
      const node = list.children[index];
      node.textContent = t("form.facetOption", { value: bucketText(item), count: item.count });
      node.dataset.ageMin = item.age_min ?? "";
      node.dataset.ageMax = item.age_max ?? "";
      if (node.tagName === "BUTTON") {
        node.title = t("form.ageBucketHint");
        node.setAttribute("aria-pressed", String(ageMin === String(item.age_min) && ageMax === String(item.age_max ?? "")));
      }
    });
  }

  bucketOf(button) {
    const number = (text) => (text === "" ? null : Number(text));
    return { age_min: number(button.dataset.ageMin), age_max: number(button.dataset.ageMax) };
  }

  /** The map's and the picker's text filters suggest the values the facets know. */
  rememberValues(facets) {
    for (const [facet, selector] of DATALISTS) {
      const list = this.fieldset.querySelector(selector);
      const known = new Set([...list.options].map((option) => option.value));
      for (const { value } of facets[facet]?.values ?? []) {
        if (!known.has(value)) {
          known.add(value);
          list.append(new Option(value, value));
        }
      }
    }
  }
}
