// The "Why similar?" section of a result's panel: query and result heatmap overlays side by side.
import { t } from "../i18n.js";
import { element } from "./dom.js";

export function whySimilarView(node, why) {
  const heading = element("h3", { text: t("why.heading") });
  let content;
  if (why.loading) {
    content = element("p", { className: "panel-note", text: t("why.loading") });
  } else if (why.error) {
    content = element("p", { className: "panel-note why-message", attrs: { role: "status" }, text: t("why.unavailable", { message: why.error }) });
  } else {
    const { similarity, query_overlay: queryOverlay, result_overlay: resultOverlay } = why.answer;
    content = element("div", {}, [
      element("p", { className: "why-similarity", text: t("why.similarity", { value: Number(similarity).toFixed(3) }) }),
      element("div", { className: "why-overlays" }, [
        element("figure", {}, [element("img", { attrs: { src: queryOverlay, alt: t("why.queryAlt"), class: "why-query" } }),
                               element("figcaption", { text: t("why.query") })]),
        element("figure", {}, [element("img", { attrs: { src: resultOverlay, alt: t("why.resultAlt", { id: node.imageId }), class: "why-result" } }),
                               element("figcaption", { text: t("why.result", { id: node.imageId }) })]),
      ]),
    ]);
  }
  return element("section", { className: "panel-section why-similar", attrs: { id: "why-similar-section", "aria-live": "polite" } },
                 [heading, content]);
}
