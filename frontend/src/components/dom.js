// A tiny helper to build DOM elements for the workspace components.
import { t } from "../i18n.js";

export function element(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

export function button(text, { className = "button secondary", attrs = {}, onClick } = {}) {
  const node = element("button", { className, text, attrs: { type: "button", ...attrs } });
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

/** "Showing 200 of 513" and a "Show more" button under a paged list, or null when it is shown whole. */
export function moreRows({ shown, total, onMore, className = "" }) {
  if (shown >= total) return null;
  return element("p", { className: `list-more ${className}`.trim() }, [
    element("span", { className: "panel-note", text: t("list.shown", { shown, total }) }), " ",
    button(t("list.more"), { className: "button secondary list-more-button",
                             onClick: (event) => { event.currentTarget.disabled = true; onMore(); } }),
  ]);
}
