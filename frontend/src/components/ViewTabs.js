// The tabs above the workspace (graph, list, teaching sets, saved searches, map, curation): one panel shown.

export class ViewTabs {
  /** names: tab "name" has the button #tab-name and the panel #name-view. */
  constructor(names, { onShow }) {
    this.names = names;
    this.onShow = onShow;
    this.current = names[0];
    for (const name of names) {
      document.querySelector(`#tab-${name}`).addEventListener("click", () => this.show(name));
    }
  }

  show(name) {
    if (!this.names.includes(name)) return;
    this.current = name;
    for (const other of this.names) {
      document.querySelector(`#tab-${other}`).setAttribute("aria-selected", String(other === name));
      document.querySelector(`#${other}-view`).hidden = other !== name;
    }
    this.onShow?.(name);
  }
}
