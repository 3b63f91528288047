// A dialog to choose a query among the images already in the repository.
import { thumbnailUrl } from "../api.js";
import { t, translatePage } from "../i18n.js";
import { errorText } from "../errors.js";

const PAGE_SIZE = 24;

export class RepositoryPicker {
  constructor(dialog, { loadPage, onPick }) {
    this.dialog = dialog;
    this.loadPage = loadPage;
    this.onPick = onPick;
    this.offset = 0;
    this.count = 0;
    this.build();
  }

  build() {
    this.dialog.innerHTML = `
      <form method="dialog" class="picker-inner">
        <header class="picker-header">
          <h2 id="picker-title" data-i18n="picker.title"></h2>
          <button type="submit" class="icon-button" value="close" data-i18n-attr="aria-label:picker.close;title:picker.close">×</button>
        </header>
        <div class="picker-filters">
          <label class="field"><span data-i18n="picker.filterLabel"></span>
            <input type="text" name="label" list="known-labels" autocomplete="off" data-i18n-attr="placeholder:form.anyPlaceholder" /></label>
          <label class="field"><span data-i18n="picker.filterModality"></span>
            <input type="text" name="modality" list="known-modalities" autocomplete="off" data-i18n-attr="placeholder:form.anyPlaceholder" /></label>
          <button type="button" class="button secondary" data-action="filter" data-i18n="picker.apply"></button>
        </div>
        <p class="picker-status" role="status" aria-live="polite"></p>
        <ul class="picker-grid"></ul>
        <footer class="picker-footer">
          <button type="button" class="button secondary" data-action="previous" data-i18n="picker.previous"></button>
          <span class="picker-page"></span>
          <button type="button" class="button secondary" data-action="next" data-i18n="picker.next"></button>
        </footer>
      </form>`;
    this.grid = this.dialog.querySelector(".picker-grid");
    this.status = this.dialog.querySelector(".picker-status");
    this.pageLabel = this.dialog.querySelector(".picker-page");
    this.labelInput = this.dialog.querySelector("input[name=label]");
    this.modalityInput = this.dialog.querySelector("input[name=modality]");
    this.dialog.querySelector("[data-action=filter]").addEventListener("click", () => this.load(0));
    this.dialog.querySelector("[data-action=previous]").addEventListener("click", () => this.load(this.offset - PAGE_SIZE));
    this.dialog.querySelector("[data-action=next]").addEventListener("click", () => this.load(this.offset + PAGE_SIZE));
    for (const input of [this.labelInput, this.modalityInput]) {
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          this.load(0);
        }
      });
    }
    translatePage(this.dialog);
  }

  open() {
    translatePage(this.dialog);
    this.dialog.showModal();
    this.load(this.offset);
  }

  async load(offset) {
    const ticket = (this.ticket = (this.ticket || 0) + 1); // only the latest page may be shown
    this.offset = Math.max(0, offset);
    this.status.textContent = t("picker.loading");
    try {
      const page = await this.loadPage({ limit: PAGE_SIZE, offset: this.offset,
                                         label: this.labelInput.value.trim(), modality: this.modalityInput.value.trim() });
      if (ticket !== this.ticket) return;
      this.count = page.count;
      this.renderPage(page.results);
    } catch (error) {
      if (ticket === this.ticket) this.status.textContent = t("status.error", { message: errorText(error) });
    }
  }

  renderPage(images) {
    this.status.textContent = images.length ? "" : t("picker.empty");
    const to = Math.min(this.offset + images.length, this.count);
    this.pageLabel.textContent = images.length ? t("picker.page", { from: this.offset + 1, to, count: this.count }) : "";
    this.dialog.querySelector("[data-action=previous]").disabled = this.offset === 0;
    this.dialog.querySelector("[data-action=next]").disabled = to >= this.count;
    this.grid.replaceChildren(...images.map((image) => this.card(image)));
  }

  card(image) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "picker-card";
    button.dataset.imageId = image.id;
    button.title = t("picker.choose", { id: image.id, label: image.label || "—" });
    const thumb = document.createElement("img");
    thumb.src = image.thumbnail_url || thumbnailUrl(image.id);
    thumb.alt = "";
    thumb.loading = "lazy";
    const caption = document.createElement("span");
    caption.textContent = [image.label, image.modality, `#${image.id}`].filter(Boolean).join(" · ");
    button.append(thumb, caption);
    button.addEventListener("click", () => {
      this.dialog.close();
      this.onPick(image);
    });
    item.append(button);
    return item;
  }
}
