// The side panel ("tab") of one image: a larger view, its finding and its de-identified metadata.
import { hasTranslation, t } from "../i18n.js";
import { communityColor } from "../graph/appearance.js";
import { can } from "../session.js";
import { DEFAULT_DISPLAY, displayControls, displayFilter } from "./DisplayControls.js";
import { ImageViewer } from "./ImageViewer.js";
import { whySimilarView } from "./WhySimilarView.js";

const MAIN_FIELDS = ["label", "labels", "modality", "body_part", "sex", "age_years", "dataset", "source_format",
                     "width", "height", "frame_count", "sop_uid", "status"];
const INTERNAL_KEYS = new Set(["id"]); // our own primary keys mean nothing to a reader

function element(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function fieldName(key) {
  if (hasTranslation(`field.${key}`)) return t(`field.${key}`);
  const words = String(key).replace(/([a-z])([A-Z])/g, "$1 $2").replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function formatValue(value) {
  if (value === null || value === undefined || value === "") return t("value.none");
  if (Array.isArray(value)) return value.length ? value.map(formatValue).join(", ") : t("value.none");
  if (typeof value === "object") {
    if ("display" in value && "code" in value) return `${value.display} (${value.code})`;
    return JSON.stringify(value);
  }
  if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3);
  return String(value);
}

/** Coded values we know (status, sex) in the UI language; anything else as stored. */
function displayValue(key, value) {
  const coded = `value.${key}.${value}`;
  return typeof value === "string" && hasTranslation(coded) ? t(coded) : formatValue(value);
}

function definitionList(entries, className = "fields") {
  const rows = entries
    .filter(([, value]) => value !== undefined)
    .flatMap(([key, value]) => [element("dt", { text: fieldName(key) }), element("dd", { text: displayValue(key, value) })]);
  return rows.length ? element("dl", { className }, rows) : null;
}

function section(titleKey, content) {
  if (!content) return null;
  return element("section", { className: "panel-section" }, [element("h3", { text: t(titleKey) }), content]);
}

function objectEntries(value) {
  return value && typeof value === "object" ? Object.entries(value).filter(([key]) => !INTERNAL_KEYS.has(key)) : [];
}

export class MetadataPanel {
  constructor(panel, { onClose, onExpand, onMoreLikeThis, onAddToSet, onWhySimilar, canExplainSimilarity }) {
    this.panel = panel;
    this.handlers = { onClose, onExpand, onMoreLikeThis, onAddToSet, onWhySimilar, canExplainSimilarity };
    this.state = null;
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  close() {
    this.panel.hidden = true;
    this.state = null;
    this.viewer = null;
    this.panel.replaceChildren();
  }

  showLoading(node, { queryInfo = null } = {}) {
    this.display = { ...DEFAULT_DISPLAY }; // each image starts unadjusted
    if (this.viewer?.imageId !== node.imageId) this.viewer = null;
    this.render({ node, details: null, error: null, loading: true, queryInfo });
  }

  showDetails(node, details) {
    if (this.state?.node.key !== node.key) return; // the user has moved on
    this.render({ ...this.state, details, error: null, loading: false });
  }

  /** why: {loading} | {answer} | {error}, for the "Why similar?" section of this node. */
  showWhySimilar(node, why) {
    if (this.state?.node.key !== node.key) return;
    this.render({ ...this.state, why });
    const section = this.panel.querySelector("#why-similar-section");
    const reveal = () => section?.scrollIntoView({ block: "nearest" });
    reveal();
    // data-URL overlays take their height only once decoded
    section?.querySelectorAll("img").forEach((image) => image.addEventListener("load", reveal, { once: true }));
  }

  showError(node, message) {
    if (this.state?.node.key !== node.key) return;
    this.render({ ...this.state, details: null, error: message, loading: false });
  }

  refresh() {
    if (this.state) this.render(this.state);
  }

  render(state) {
    this.state = state;
    const { node, details, error, loading } = state;
    this.panel.hidden = false;
    this.panel.dataset.imageId = node.imageId ?? "";
    this.panel.setAttribute("aria-busy", loading ? "true" : "false");
    this.panel.replaceChildren(...[
      this.header(node, details),
      this.imageView(node, details),
      node.isQuery ? null : this.findings(node),
      node.imageId != null ? this.actions(node) : null,
      state.why ? whySimilarView(node, state.why) : null,
      loading ? element("p", { className: "panel-note", text: t("panel.loading") }) : null,
      error ? element("p", { className: "panel-error", text: t("panel.error", { message: error }), attrs: { role: "alert" } }) : null,
      details ? this.metadata(details) : null,
      state.queryInfo ? this.queryParameters(state.queryInfo) : null,
    ].filter(Boolean));
  }

  header(node, details) {
    const label = details?.label || node.label;
    const title = node.isQuery ? t("panel.queryTitle") : `#${node.imageId}`;
    const heading = element("h2", { attrs: { id: "metadata-title" } }, [
      element("span", { className: "panel-title", text: title }),
      label ? element("span", { className: "panel-label", text: label, attrs: { "data-field": "label" } }) : "",
    ]);
    const close = element("button", { className: "icon-button", text: "×",
                                       attrs: { type: "button", "aria-label": t("panel.close"), title: t("panel.close") } });
    close.addEventListener("click", () => this.handlers.onClose?.());
    return element("header", { className: "panel-header" }, [heading, close]);
  }

  imageView(node, details) {
    if (details?.source_format === "dicom" && node.imageId != null && this.rawUnavailable?.imageId !== node.imageId) {
      return this.dicomView(node, details);
    }
    const url = details?.image_url || node.imageUrl || details?.thumbnail_url || node.thumbnailUrl;
    if (!url) {
      if (!node.fileName && node.keywords) {
        return element("p", { className: "panel-note", text: t("panel.queryKeywords", { q: node.keywords }) });
      }
      const note = element("p", { className: "panel-note", text: t("panel.queryNoPreview") });
      return node.fileName
        ? element("div", {}, [element("p", { className: "panel-note", text: t("panel.queryUpload", { name: node.fileName }) }), note])
        : note;
    }
    const image = element("img", { attrs: { src: url, alt: t("panel.imageAlt", { id: node.imageId ?? "", label: details?.label || node.label || "" }) } });
    this.display ??= { ...DEFAULT_DISPLAY };
    image.style.filter = displayFilter(this.display);
    const children = [image, displayControls(this.display, (settings) => { image.style.filter = displayFilter(settings); })];
    if (node.isQuery && node.fileName) children.push(element("figcaption", { text: t("panel.queryUpload", { name: node.fileName }) }));
    if (!node.isQuery) {
      const link = element("a", { text: t("panel.openImage"), attrs: { href: url, target: "_blank", rel: "noopener" } });
      children.push(element("figcaption", {}, [link]));
    }
    if (this.rawUnavailable?.imageId === node.imageId) {
      children.push(element("figcaption", { className: "viewer-unavailable",
                                            text: t("viewer.unavailable", { message: this.rawUnavailable.message }) }));
    }
    return element("figure", { className: "panel-image" }, children);
  }

  /** Window/level on the stored DICOM's values; the PNG view takes over when the server cannot give them. */
  dicomView(node, details) {
    if (this.viewer?.imageId !== node.imageId) {
      this.viewer = new ImageViewer({
        imageId: node.imageId, modality: details.modality, frameCount: details.frame_count,
        width: details.width, height: details.height,
        onUnavailable: (message) => this.showPngInstead(node.imageId, message),
      });
    }
    const link = element("a", { text: t("panel.openImage"), attrs: { href: details.image_url, target: "_blank", rel: "noopener" } });
    return element("figure", { className: "panel-image" }, [this.viewer.render(), element("figcaption", {}, [link])]);
  }

  showPngInstead(imageId, message) {
    if (this.viewer?.imageId !== imageId) return; // the user has moved on
    this.viewer = null;
    this.rawUnavailable = { imageId, message };
    this.refresh();
  }

  findings(node) {
    const badges = [];
    if (node.isAbnormal === true) badges.push(element("span", { className: "badge badge-abnormal", text: t("node.abnormal") }));
    if (node.isAbnormal === false) badges.push(element("span", { className: "badge badge-normal", text: t("node.normal") }));
    if (node.community != null) {
      const chip = element("span", { className: "badge", text: `${t("node.community")} ${node.community + 1}` });
      chip.style.borderColor = communityColor(node.community);
      chip.style.color = communityColor(node.community);
      badges.push(chip);
    }
    const rows = [["node.rank", node.rank], ["node.score", node.score], ["node.distance", node.distance]]
      .filter(([, value]) => value != null)
      .flatMap(([key, value]) => [element("dt", { text: t(key) }), element("dd", { text: formatValue(value) })]);
    const scores = rows.length ? element("dl", { className: "scores" }, rows) : null;
    return element("div", { className: "panel-findings" }, [element("div", { className: "badges" }, badges), scores || ""]);
  }

  actions(node) {
    const buttons = [];
    if (!node.isQuery) {
      const expand = element("button", { className: "button secondary", text: t("panel.expand"),
                                          attrs: { type: "button", id: "expand-node", title: t("panel.expandHint") } });
      expand.addEventListener("click", () => this.handlers.onExpand?.(node));
      buttons.push(expand);
    }
    const more = element("button", { className: "button secondary", text: t("panel.moreLikeThis"),
                                      attrs: { type: "button", id: "more-like-this" } });
    more.addEventListener("click", () => this.handlers.onMoreLikeThis?.(node));
    buttons.push(more);
    if (!node.isQuery && this.handlers.onWhySimilar && (this.handlers.canExplainSimilarity?.() ?? true)) {
      const why = element("button", { className: "button secondary", text: t("why.button"), attrs: { type: "button", id: "why-similar" } });
      why.addEventListener("click", () => this.handlers.onWhySimilar(node));
      buttons.push(why);
    }
    if (can("teach") && this.handlers.onAddToSet) {
      const add = element("button", { className: "button secondary", text: t("teaching.add"), attrs: { type: "button", id: "add-to-teaching-set" } });
      add.addEventListener("click", () => this.handlers.onAddToSet(node));
      buttons.push(add);
    }
    return element("div", { className: "panel-actions" }, buttons);
  }

  /** How the query was answered: k, encoder, filters, index and per-stage timings. */
  queryParameters(query) {
    const index = query.index || {};
    const filters = Object.entries(query.filters || {}).map(([key, value]) => `${fieldName(key)}: ${value}`).join(", ");
    const timings = Object.entries(query.timings_ms || {}).map(([stage, ms]) => `${stage} ${Number(ms).toFixed(1)}`).join(" · ");
    const rows = [
      ["form.k", query.k], ["form.encoder", `${query.encoder} v${query.encoder_version}`],
      ["query.keywords", query.q || null],
      ["query.filters", filters || t("value.none")], ["query.index", index.method ? String(index.method).toUpperCase() : null],
      ["query.recall", index.measured_recall ?? index.target_recall], ["query.vectors", index.vector_count],
      ["query.timings", timings ? `${timings} ms` : null],
    ].filter(([, value]) => value !== null && value !== undefined)
      .flatMap(([key, value]) => [element("dt", { text: t(key) }), element("dd", { text: formatValue(value) })]);
    return section("query.parameters", element("dl", { className: "fields" }, rows));
  }

  metadata(details) {
    const main = definitionList(MAIN_FIELDS.filter((key) => key in details).map((key) => [key, details[key]]));
    return element("div", { className: "panel-metadata" }, [
      section("panel.metadata", main),
      details.notes ? section("panel.notes", element("p", { className: "notes", text: details.notes })) : null,
      section("panel.study", definitionList(objectEntries(details.study))),
      section("panel.series", definitionList(objectEntries(details.series))),
      section("panel.extra", definitionList(objectEntries(details.metadata))),
    ].filter(Boolean));
  }
}
