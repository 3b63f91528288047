// A larger preview of the thumbnail under the pointer, next to the node.
import { t } from "../i18n.js";

export class HoverPreview {
  constructor(element) {
    this.element = element;
  }

  show(node, position) {
    if (!position || node.isQuery && !node.thumbnailUrl) return this.hide();
    const image = document.createElement("img");
    image.src = node.thumbnailUrl;
    image.alt = "";
    const caption = document.createElement("div");
    caption.className = "hover-caption";
    const title = document.createElement("strong");
    title.textContent = node.isQuery ? t("graph.query") : `${node.label || ""} · #${node.imageId}`;
    caption.append(title);
    if (!node.isQuery) {
      const detail = document.createElement("span");
      detail.textContent = `${t("node.score")} ${node.score?.toFixed(3) ?? "—"} · ${t("node.distance")} ${node.distance?.toFixed(3) ?? "—"}`;
      const finding = document.createElement("span");
      finding.textContent = [node.modality, node.bodyPart,
        node.isAbnormal === true ? t("node.abnormal") : node.isAbnormal === false ? t("node.normal") : ""]
        .filter(Boolean).join(" · ");
      caption.append(detail, finding);
    }
    this.element.replaceChildren(image, caption);
    this.element.hidden = false;
    this.place(position);
  }

  place({ x, y, size }) {
    const container = this.element.parentElement.getBoundingClientRect();
    const { offsetWidth: width, offsetHeight: height } = this.element;
    const gap = size + 12;
    const left = x + gap + width > container.width ? x - gap - width : x + gap;
    this.element.style.left = `${Math.max(8, left)}px`;
    this.element.style.top = `${Math.max(8, Math.min(y - height / 2, container.height - height - 8))}px`;
  }

  hide() {
    this.element.hidden = true;
  }
}
