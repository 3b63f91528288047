// The same results as the graph, as a grid ordered by similarity, for people who prefer a list.
import { t } from "../i18n.js";
import { communityColor } from "../graph/appearance.js";
import { listedResults } from "../graph/views.js";
import { can } from "../session.js";

function formatNumber(value) {
  return Number.isFinite(value) ? value.toFixed(3) : t("value.none");
}

/** A series-level result (whole-series PACS query): the card's image is the series' best match. */
function seriesNote(series) {
  const note = document.createElement("span");
  note.className = "result-series";
  note.dataset.seriesId = series.id;
  note.textContent = t("list.series", { images: series.imageCount, matched: series.matchedSlices });
  return note;
}

function resultCard(node, onSelect, onAddToSet) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "result-card";
  button.dataset.imageId = node.imageId;
  button.dataset.score = node.score ?? "";
  if (node.isAbnormal === true) button.classList.add("is-abnormal");

  const figure = document.createElement("span");
  figure.className = "result-thumb";
  const image = document.createElement("img");
  image.src = node.thumbnailUrl;
  image.alt = "";
  image.loading = "lazy";
  figure.append(image);

  const caption = document.createElement("span");
  caption.className = "result-caption";
  const title = document.createElement("span");
  title.className = "result-title";
  title.textContent = node.label || `#${node.imageId}`;
  const color = communityColor(node.community);
  if (color) title.style.color = color;
  const rank = document.createElement("span");
  rank.className = "result-rank";
  rank.textContent = node.rank == null ? `#${node.imageId}`
    : node.expandedFrom != null ? t("list.nearRank", { rank: node.rank, id: node.expandedFrom })
      : t("list.rank", { rank: node.rank });
  const scores = document.createElement("span");
  scores.className = "result-scores";
  scores.textContent = `${t("node.score")} ${formatNumber(node.score)} · ${t("node.distance")} ${formatNumber(node.distance)}`;
  const meta = document.createElement("span");
  meta.className = "result-meta";
  meta.textContent = [node.modality, node.bodyPart, node.dataset, `#${node.imageId}`].filter(Boolean).join(" · ");
  caption.append(rank, title, scores, meta);
  if (node.series) caption.append(seriesNote(node.series));

  button.append(figure, caption);
  button.addEventListener("click", () => onSelect(node));
  item.append(button);
  if (onAddToSet && can("teach")) {
    const add = document.createElement("button");
    add.type = "button";
    add.className = "button secondary add-to-set";
    add.textContent = t("teaching.add");
    add.setAttribute("aria-label", `${t("teaching.add")}: #${node.imageId}`);
    add.dataset.imageId = node.imageId;
    add.addEventListener("click", () => onAddToSet(node));
    item.append(add);
  }
  return item;
}

export class ResultList {
  constructor(list, { onSelect, onAddToSet }) {
    this.list = list;
    this.onSelect = onSelect;
    this.onAddToSet = onAddToSet;
    this.nodes = [];
  }

  render(nodes = this.nodes) {
    this.nodes = nodes;
    const results = listedResults(nodes);
    if (!results.length) {
      const empty = document.createElement("li");
      empty.className = "list-empty";
      empty.textContent = t("list.empty");
      this.list.replaceChildren(empty);
      return;
    }
    this.list.replaceChildren(...results.map((node) => resultCard(node, this.onSelect, this.onAddToSet)));
  }

  markSelected(imageId) {
    for (const card of this.list.querySelectorAll(".result-card")) {
      card.classList.toggle("is-selected", card.dataset.imageId === String(imageId));
    }
  }
}
