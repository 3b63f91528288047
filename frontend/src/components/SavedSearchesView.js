// The "Saved searches" tab (researchers): each saved query with Run, Export CSV and Delete.
import * as api from "../api.js";
import { hasTranslation, t } from "../i18n.js";
import { errorText } from "../errors.js";
import { button, element } from "./dom.js";

const FILTER_NAMES = { age_min: "form.ageMin", age_max: "form.ageMax" };

function filterName(key) {
  const name = FILTER_NAMES[key] || `field.${key}`;
  return hasTranslation(name) ? t(name) : key;
}

function describe(saved) {
  const parameters = saved.parameters || {};
  const filters = Object.entries(parameters.filters || {}).map(([key, value]) => `${filterName(key)}: ${value}`).join(", ");
  const query = [parameters.image_id ? t("saved.image", { id: parameters.image_id }) : null,
                 saved.has_uploaded_query ? t("saved.uploaded") : null,
                 parameters.q ? `“${parameters.q}”` : null].filter(Boolean).join(" + ");
  const details = t("saved.details", { k: parameters.k, encoder: `${saved.encoder} v${saved.encoder_version}`,
                                       filters: filters || t("saved.noFilters") });
  return `${query} · ${details}`;
}

export class SavedSearchesView {
  constructor(container, { onRun }) {
    this.container = container;
    this.onRun = onRun;
    this.searches = null;
    this.error = null;
  }

  async load() {
    try {
      this.searches = await api.listSavedSearches();
      this.error = null;
    } catch (error) {
      this.error = errorText(error);
    }
    this.render();
  }

  render() {
    const children = [element("h2", { className: "section-title", text: t("saved.heading") })];
    if (this.exportError) children.push(element("p", { className: "panel-error export-error", attrs: { role: "alert" },
                                                       text: t("workspace.error", { message: this.exportError }) }));
    if (this.error) children.push(element("p", { className: "panel-error", attrs: { role: "alert" }, text: t("workspace.error", { message: this.error }) }));
    else if (this.searches === null) children.push(element("p", { className: "panel-note", text: t("saved.loading") }));
    else if (!this.searches.length) children.push(element("p", { className: "panel-note", text: t("saved.empty") }));
    else children.push(element("ul", { className: "saved-list" }, this.searches.map((saved) => this.item(saved))));
    this.container.replaceChildren(...children);
  }

  item(saved) {
    const actions = element("div", { className: "saved-actions" }, [
      button(t("saved.run"), { className: "button primary saved-run", onClick: () => this.onRun(saved) }),
      button(t("saved.export"), { className: "button secondary saved-export", onClick: () => this.exportResults(saved) }),
      button(t("saved.delete"), { className: "button secondary saved-delete", onClick: () => this.remove(saved) }),
    ]);
    return element("li", { className: "saved-item", attrs: { "data-saved-id": saved.id } }, [
      element("div", {}, [element("h3", { className: "saved-name", text: saved.name }),
                          element("p", { className: "case-meta", text: describe(saved) })]),
      actions,
    ]);
  }

  async exportResults(saved) {
    try {
      await api.download(api.savedSearchExportUrl(saved.id));
      this.exportError = null;
    } catch (error) {
      this.exportError = errorText(error); // shown above the list, which stays
    }
    this.render();
  }

  async remove(saved) {
    if (!window.confirm(t("saved.confirmDelete", { name: saved.name }))) return;
    try {
      await api.deleteSavedSearch(saved.id);
      await this.load();
    } catch (error) {
      this.error = errorText(error);
      this.render();
    }
  }
}
