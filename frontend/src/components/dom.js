// A tiny helper to build DOM elements for the workspace components.

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
