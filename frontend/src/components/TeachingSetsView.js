// The "Teaching sets" tab: the sets the user may see, a form to create one (educators), and the open set.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { errorText } from "../errors.js";
import { can } from "../session.js";
import { button, element, moreRows } from "./dom.js";
import { TeachingSetPage } from "./TeachingSetPage.js";

export class TeachingSetsView {
  constructor(container) {
    this.container = container;
    this.sets = null;
    this.total = 0;
    this.shown = api.LIST_PAGE; // "Show more" raises it; reloads keep it
    this.error = null;
    this.list = element("div", { className: "set-list" });
    const pageContainer = element("section", { className: "set-page", attrs: { id: "teaching-set-page", "aria-live": "polite" } });
    this.page = new TeachingSetPage(pageContainer, { onChanged: () => this.load() });
    container.replaceChildren(this.list, pageContainer);
  }

  async load() {
    const ticket = (this.loadTicket = (this.loadTicket ?? 0) + 1); // only the newest reload may draw
    let page = null;
    let error = null;
    try {
      page = await api.listTeachingSets({ count: this.shown });
    } catch (failure) {
      error = errorText(failure);
    }
    if (ticket !== this.loadTicket) return;
    if (page) ({ rows: this.sets, total: this.total } = page);
    this.error = error;
    this.renderList();
  }

  /** The list and the open set again (cases may have been added from the graph or the list meanwhile). */
  async reload() {
    const openSetId = this.page.set?.id; // read first: a set opened while the list loads needs no second fetch
    await this.load();
    if (openSetId !== undefined && this.page.set?.id === openSetId) await this.open(openSetId);
  }

  async open(setId) {
    await this.page.open(setId);
    this.renderList();
  }

  refresh() {
    this.renderList();
    this.page.render();
  }

  renderList() {
    const heading = element("h2", { className: "section-title", text: t("teaching.heading") });
    const children = [heading];
    if (can("teach")) children.push(this.createForm());
    if (this.error) children.push(element("p", { className: "panel-error", attrs: { role: "alert" }, text: t("workspace.error", { message: this.error }) }));
    else if (this.sets === null) children.push(element("p", { className: "panel-note", text: t("teaching.loading") }));
    else if (!this.sets.length) children.push(element("p", { className: "panel-note", text: t("teaching.empty") }));
    else {
      children.push(element("ul", { className: "set-items" }, this.sets.map((set) => this.setItem(set))),
                    moreRows({ shown: this.sets.length, total: this.total, className: "sets-more", onMore: () => this.showMore() }));
    }
    this.list.replaceChildren(...children.filter(Boolean));
  }

  async showMore() {
    this.shown += api.LIST_PAGE;
    await this.load();
  }

  setItem(set) {
    const isOpen = this.page.set?.id === set.id;
    const details = [t("teaching.cases", { n: set.case_count }), t("teaching.owner", { owner: set.owner })];
    if (set.is_shared_with_students) details.push(t("teaching.shared"));
    const item = button("", { className: `set-item${isOpen ? " is-selected" : ""}`,
                              attrs: { "data-set-id": set.id, "aria-current": isOpen ? "true" : "false" },
                              onClick: () => this.open(set.id) });
    item.append(element("span", { className: "set-item-title", text: set.title }),
                element("span", { className: "set-item-meta", text: details.join(" · ") }));
    return element("li", {}, [item]);
  }

  createForm() {
    const input = element("input", { attrs: { type: "text", id: "new-set-title", maxlength: "200", "aria-label": t("teaching.newTitle"),
                                              placeholder: t("teaching.newTitle") } });
    const form = element("form", { className: "new-set-form", attrs: { novalidate: "" } },
                         [input, button(t("teaching.create"), { className: "button primary", attrs: { type: "submit", id: "create-set" } })]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const title = input.value.trim();
      if (!title) return;
      try {
        const created = await api.createTeachingSet({ title });
        await this.load();
        this.page.show(created);
        this.renderList();
      } catch (error) {
        this.error = errorText(error);
        this.renderList();
      }
    });
    return form;
  }
}
