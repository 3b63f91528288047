// The dialog that adds one repository image to a teaching set, existing or new (educators only).
import * as api from "../api.js";
import { t } from "../i18n.js";
import { errorText } from "../errors.js";
import { button, element } from "./dom.js";

const NEW_SET = "new";

export class AddToSetDialog {
  constructor({ onAdded }) {
    this.onAdded = onAdded;
    this.dialog = element("dialog", { className: "add-to-set-dialog", attrs: { id: "add-to-set", "aria-labelledby": "add-to-set-title" } });
    document.body.append(this.dialog);
    this.imageId = null;
  }

  async open(imageId) {
    this.imageId = imageId;
    let sets = [];
    let error = "";
    try {
      // every set the user may add to, not only those on the first page of the visible ones
      sets = (await api.listTeachingSets({ count: Number.MAX_SAFE_INTEGER, editable: true })).rows;
    } catch (failure) {
      error = failure.message;
    }
    this.render(sets, error);
    if (!this.dialog.open) this.dialog.showModal();
    this.dialog.querySelector("select").focus();
  }

  render(sets, error) {
    const select = element("select", { attrs: { id: "add-to-set-choice" } }, [
      ...sets.map((set) => element("option", { text: set.title, attrs: { value: String(set.id) } })),
      element("option", { text: t("teaching.newSet"), attrs: { value: NEW_SET } }),
    ]);
    const title = element("input", { attrs: { type: "text", id: "add-to-set-new-title", maxlength: "200" } });
    const titleField = element("div", { className: "field" }, [
      element("label", { text: t("teaching.newTitle"), attrs: { for: "add-to-set-new-title" } }), title]);
    const showTitle = () => { titleField.hidden = select.value !== NEW_SET; };
    select.addEventListener("change", showTitle);
    showTitle();
    const message = element("p", { className: "panel-error", attrs: { role: "alert" }, text: error ? t("workspace.error", { message: error }) : "" });
    const form = element("form", { className: "add-to-set-form", attrs: { novalidate: "" } }, [
      element("h2", { text: t("teaching.addTitle", { id: this.imageId }), attrs: { id: "add-to-set-title" } }),
      element("div", { className: "field" }, [element("label", { text: t("teaching.pickSet"), attrs: { for: "add-to-set-choice" } }), select]),
      titleField,
      message,
      element("div", { className: "dialog-actions" }, [
        button(t("teaching.cancel"), { onClick: () => this.dialog.close() }),
        button(t("teaching.addButton"), { className: "button primary", attrs: { type: "submit", id: "add-to-set-submit" } }),
      ]),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(select.value, title.value.trim(), sets, message);
    });
    this.dialog.replaceChildren(form);
  }

  async submit(choice, newTitle, sets, message) {
    if (choice === NEW_SET && !newTitle) {
      message.textContent = t("teaching.titleRequired");
      return;
    }
    if (this.busy) return; // a double click or a second Enter must not make a second set
    this.busy = true;
    try {
      const set = choice === NEW_SET ? await this.createOnce(newTitle) : sets.find((s) => String(s.id) === choice);
      await api.addTeachingCase(set.id, { imageId: this.imageId });
      this.dialog.close();
      this.onAdded?.(set, this.imageId);
    } catch (error) {
      message.textContent = t("workspace.error", { message: errorText(error) });
    } finally {
      this.busy = false;
    }
  }

  /** The set made for this title by an earlier try whose case could not be added, else a new one. */
  async createOnce(title) {
    if (this.created?.title !== title) this.created = await api.createTeachingSet({ title });
    return this.created;
  }
}
