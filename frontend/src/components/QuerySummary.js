// One line on how the answer was computed: index method, measured recall, collection size, encoder.
import { t } from "../i18n.js";

export class QuerySummary {
  constructor(element) {
    this.element = element;
    this.query = null;
  }

  render(query) {
    this.query = query || null;
    const index = query?.index;
    if (!query || !index) {
      this.element.textContent = "";
      return;
    }
    const common = { count: index.vector_count ?? "?", encoder: query.encoder ?? "?", version: query.encoder_version ?? "?" };
    const recall = index.measured_recall ?? index.target_recall;
    const isApproximate = index.method && index.method !== "exact";
    this.element.textContent = isApproximate
      ? t("summary.index", { ...common, method: String(index.method).toUpperCase(),
                             recall: Number.isFinite(recall) ? recall.toFixed(2) : "?" })
      : t("summary.exact", common);
    const timings = query.timings_ms || {};
    this.element.title = Object.entries(timings).map(([stage, ms]) => `${stage}: ${Number(ms).toFixed(1)} ms`).join(" · ");
  }

  refresh() {
    this.render(this.query);
  }
}
