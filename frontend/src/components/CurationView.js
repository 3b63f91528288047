// The "Curation" tab (curators): an upload form, quarantined images to release (with a note) or delete,
// and recent rejections.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { errorText } from "../errors.js";
import { button, element, moreRows } from "./dom.js";
import { UploadIngestForm } from "./UploadIngestForm.js";

/** " — detail" of a rejection, or "" when it has none (an empty object included). */
function detailText(detail) {
  if (!detail || (typeof detail === "object" && !Object.keys(detail).length)) return "";
  return ` — ${typeof detail === "string" ? detail : JSON.stringify(detail)}`;
}

export class CurationView {
  constructor(container) {
    this.container = container;
    this.quarantined = null; // {rows, total}
    this.rejections = null;
    // How many of each list to show; "Show more" raises it, and reloads after a decision keep it.
    this.shown = { quarantined: api.LIST_PAGE, rejections: api.LIST_PAGE };
    this.error = null;
    this.messages = new Map(); // image id -> message under its card
    // Uploads can quarantine or refuse files: list both again afterwards.
    this.uploadForm = new UploadIngestForm({ onUploaded: () => this.load() });
  }

  async load() {
    const ticket = (this.loadTicket = (this.loadTicket ?? 0) + 1); // only the newest reload may draw
    let answer;
    try {
      answer = { lists: await Promise.all([api.listQuarantined(this.shown.quarantined),
                                           api.listRejections(this.shown.rejections)]), error: null };
    } catch (error) {
      answer = { lists: [this.quarantined, this.rejections], error };
    }
    if (ticket !== this.loadTicket) return;
    [this.quarantined, this.rejections] = answer.lists;
    this.error = answer.error;
    this.render();
  }

  render() {
    const children = [element("h2", { className: "section-title", text: t("curation.heading") })];
    if (this.error) {
      const key = this.error.status === 403 ? "curation.refused" : "workspace.error";
      children.push(element("p", { className: "panel-error curation-refused", attrs: { role: "alert" },
                                   text: t(key, { message: errorText(this.error) }) }));
    } else if (this.quarantined) {
      this.uploadForm.render();
      children.push(this.uploadForm.element, this.quarantineSection(), this.rejectionSection());
    }
    this.container.replaceChildren(...children);
  }

  /** Show one more page of the quarantine or rejection list. */
  async showMore(list) {
    this.shown[list] += api.LIST_PAGE;
    await this.load();
  }

  quarantineSection() {
    const { rows, total } = this.quarantined;
    const items = rows.length
      ? element("ul", { className: "curation-list" }, rows.map((image) => this.quarantinedItem(image)))
      : element("p", { className: "panel-note", text: t("curation.noQuarantine") });
    const more = moreRows({ shown: rows.length, total, className: "quarantine-more", onMore: () => this.showMore("quarantined") });
    return element("section", { className: "panel-section" }, [element("h3", { text: t("curation.quarantine") }), items, more]);
  }

  quarantinedItem(image) {
    const noteId = `release-note-${image.id}`;
    const note = element("textarea", { className: "release-note", attrs: { id: noteId, rows: "2" } });
    const message = this.messages.get(image.id);
    return element("li", { className: "curation-item", attrs: { "data-image-id": image.id } }, [
      element("img", { attrs: { src: image.thumbnail_url, alt: t("curation.imageAlt", { id: image.id }) } }),
      element("div", { className: "case-body" }, [
        element("h4", { text: `#${image.id} · ${[image.modality, image.dataset].filter(Boolean).join(" · ")}` }),
        element("p", {}, [element("strong", { text: `${t("curation.reason")}: ` }), image.reason || t("value.none")]),
        element("label", { text: t("curation.note"), attrs: { for: noteId } }), note,
        message ? element("p", { className: "panel-error", attrs: { role: "alert" }, text: message }) : null,
        element("div", { className: "case-actions" }, [
          button(t("curation.release"), { className: "button primary curation-release", onClick: () => this.release(image, note.value) }),
          button(t("curation.delete"), { className: "button secondary danger curation-delete", onClick: () => this.remove(image) }),
        ]),
      ]),
    ]);
  }

  rejectionSection() {
    const { rows: rejections, total } = this.rejections;
    const rows = rejections.map((rejection) => element("li", { className: "case-meta" }, [
      `${new Date(rejection.created_at).toLocaleString()} · ${rejection.channel} · ${rejection.reason}`,
      detailText(rejection.detail),
    ]));
    const list = rows.length ? element("ul", { className: "curation-list rejections" }, rows)
      : element("p", { className: "panel-note", text: t("curation.noRejections") });
    const more = moreRows({ shown: rejections.length, total, className: "rejections-more", onMore: () => this.showMore("rejections") });
    return element("section", { className: "panel-section" }, [element("h3", { text: t("curation.rejections") }), list, more]);
  }

  async release(image, note) {
    if (!note.trim()) {
      this.messages.set(image.id, t("curation.noteRequired"));
      this.render();
      return;
    }
    await this.decide(image, () => api.releaseQuarantined(image.id, note.trim()));
  }

  async remove(image) {
    if (!window.confirm(`${t("curation.delete")} #${image.id}?`)) return;
    await this.decide(image, () => api.deleteQuarantined(image.id));
  }

  async decide(image, call) {
    try {
      await call();
      this.messages.delete(image.id);
      await this.load();
    } catch (error) {
      this.messages.set(image.id, t("workspace.error", { message: errorText(error) }));
      this.render();
    }
  }
}
