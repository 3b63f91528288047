// The graph's symbology: halo colours, the query colour and the result groups.
import { t } from "../i18n.js";
import { ABNORMAL_HALO, QUERY_COLOR, UNKNOWN_HALO, communityColor } from "../graph/appearance.js";

function item(swatchClass, style, text) {
  const li = document.createElement("li");
  const swatch = document.createElement("span");
  swatch.className = `swatch ${swatchClass}`;
  Object.assign(swatch.style, style);
  swatch.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  label.textContent = text;
  li.append(swatch, label);
  return li;
}

export class Legend {
  constructor(list) {
    this.list = list;
    this.communities = [];
  }

  render(communities = this.communities) {
    this.communities = communities;
    const items = [
      item("swatch-query", { background: QUERY_COLOR }, t("legend.query")),
      item("swatch-halo", { borderColor: ABNORMAL_HALO }, t("legend.abnormal")),
      item("swatch-halo swatch-none", {}, t("legend.normal")),
      item("swatch-halo", { borderColor: UNKNOWN_HALO }, t("legend.unknown")),
      item("swatch-distance", {}, t("legend.distance")),
    ];
    if (communities.length) {
      const li = document.createElement("li");
      li.className = "legend-communities";
      const caption = document.createElement("span");
      caption.textContent = t("legend.communities");
      const chips = document.createElement("span");
      chips.className = "community-chips";
      for (const community of communities) {
        const chip = document.createElement("span");
        chip.className = "community-chip";
        chip.style.borderColor = communityColor(community);
        chip.style.color = communityColor(community);
        chip.textContent = t("legend.community", { n: community + 1 });
        chips.append(chip);
      }
      li.append(caption, chips);
      items.push(li);
    }
    this.list.replaceChildren(...items);
  }
}
