// The "Map" tab: every repository image as a dot (offline 2-D map), filters, a legend and hover thumbnails.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { errorText } from "../errors.js";
import { labelColors } from "../graph/appearance.js";
import { RepositoryMap } from "../graph/RepositoryMap.js";
import { button, element } from "./dom.js";

export class MapView {
  constructor(container, { onPick }) {
    this.container = container;
    this.points = [];
    this.message = null;
    this.label = element("input", { attrs: { type: "text", id: "map-label", list: "known-labels", autocomplete: "off" } });
    this.modality = element("input", { attrs: { type: "text", id: "map-modality", list: "known-modalities", autocomplete: "off" } });
    this.labelCaption = element("span");
    this.modalityCaption = element("span");
    this.apply = button("", { className: "button secondary", attrs: { id: "map-apply" }, onClick: () => this.load() });
    this.status = element("p", { className: "map-status", attrs: { role: "status", id: "map-status" } });
    this.legend = element("ul", { className: "map-legend" });
    this.canvas = element("div", { className: "map-canvas", attrs: { id: "map", role: "img", "data-point-count": "0" } });
    this.preview = element("div", { className: "hover-preview", attrs: { hidden: "" } });
    const toolbar = element("div", { className: "map-toolbar" }, [
      element("label", { className: "field" }, [this.labelCaption, this.label]),
      element("label", { className: "field" }, [this.modalityCaption, this.modality]),
      this.apply, this.status,
    ]);
    container.replaceChildren(toolbar, element("div", { className: "map-body" }, [this.canvas, this.legend]));
    this.canvas.append(this.preview);
    this.map = new RepositoryMap(this.canvas, {
      onPointClick: (id) => onPick(this.points.find((point) => point.id === id)),
      onPointEnter: (id) => this.showPreview(id),
      onPointLeave: () => { this.preview.hidden = true; },
    });
    this.translate();
  }

  async load() {
    const ticket = (this.ticket = (this.ticket || 0) + 1); // a slower, older filter's answer must not win
    this.message = { key: "map.loading" };
    this.translate();
    try {
      const answer = await api.getRepositoryMap({ label: this.label.value.trim(), modality: this.modality.value.trim() });
      if (ticket !== this.ticket) return;
      this.points = answer.points || [];
      this.colors = labelColors(this.points);
      this.map.show(this.points, this.colors);
      this.message = { key: "map.count", params: { n: this.points.length } };
    } catch (error) {
      if (ticket !== this.ticket) return;
      this.message = { key: "map.unavailable", params: { message: errorText(error) }, isError: true };
    }
    this.translate();
  }

  translate() {
    this.labelCaption.textContent = t("form.label");
    this.modalityCaption.textContent = t("form.modality");
    this.label.placeholder = t("form.anyPlaceholder");
    this.modality.placeholder = t("form.anyPlaceholder");
    this.apply.textContent = t("map.filter");
    this.canvas.setAttribute("aria-label", t("map.ariaLabel"));
    const message = this.message ? t(this.message.key, this.message.params) : "";
    this.status.textContent = this.message && !this.message.isError && this.points.length ? `${message} · ${t("map.hint")}` : message;
    this.status.classList.toggle("panel-error", Boolean(this.message?.isError));
    this.legend.replaceChildren(...[...(this.colors || new Map())].map(([label, color]) => {
      const swatch = element("span", { className: "swatch swatch-query" });
      swatch.style.background = color;
      return element("li", {}, [swatch, element("span", { text: label })]);
    }));
  }

  showPreview(id) {
    const point = this.points.find((candidate) => candidate.id === id);
    const position = this.map.viewportPosition(id);
    if (!point || !position) return;
    const finding = point.is_abnormal === true ? t("node.abnormal") : point.is_abnormal === false ? t("node.normal") : "";
    this.preview.replaceChildren(
      element("img", { attrs: { src: point.thumbnail_url, alt: "" } }),
      element("div", { className: "hover-caption" }, [
        element("strong", { text: `${point.label || ""} · #${point.id}` }),
        element("span", { text: [point.modality, finding].filter(Boolean).join(" · ") }),
      ]));
    this.preview.hidden = false;
    const left = position.x + 220 > this.canvas.clientWidth ? position.x - 220 : position.x + 12;
    this.preview.style.left = `${Math.max(8, left)}px`;
    this.preview.style.top = `${Math.max(8, Math.min(position.y - 100, this.canvas.clientHeight - 260))}px`;
  }

  resize() {
    this.map.resize();
  }
}
