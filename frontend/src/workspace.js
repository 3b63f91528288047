// Wires the workspace tabs (map, teaching sets, saved searches, curation) and the actions they add to the search page.
import * as api from "./api.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";
import { can, setCapabilities } from "./session.js";
import { ViewTabs } from "./components/ViewTabs.js";
import { TeachingSetsView } from "./components/TeachingSetsView.js";
import { AddToSetDialog } from "./components/AddToSetDialog.js";
import { SavedSearchesView } from "./components/SavedSearchesView.js";
import { MapView } from "./components/MapView.js";
import { CurationView } from "./components/CurationView.js";

const $ = (selector) => document.querySelector(selector);

export class Workspace {
  /**
   * search: {status, currentView(), runSearch(call, request, doneMessage), searchRepositoryImage(id, options),
   *          deselect(), resizeGraph()}, the search page's side of the wiring.
   */
  constructor(search) {
    this.search = search;
    this.isMapLoaded = false;
    this.addToSetDialog = new AddToSetDialog({
      onAdded: (set, imageId) => {
        search.status.done("teaching.added", { id: imageId, title: set.title });
        this.teachingSets.reload();
      },
    });
    this.teachingSets = new TeachingSetsView($("#teaching-view"));
    this.savedSearches = new SavedSearchesView($("#saved-view"), { onRun: (saved) => this.runSaved(saved) });
    this.mapView = new MapView($("#map-view"), {
      onPick: (point) => {
        this.tabs.show("graph");
        search.searchRepositoryImage(point.id, { thumbnailUrl: point.thumbnail_url });
      },
    });
    this.curation = new CurationView($("#curation-view"));
    this.tabs = new ViewTabs(["graph", "list", "map", "teaching", "saved", "curation"], { onShow: (name) => this.onShow(name) });
    $("#save-search").addEventListener("click", () => this.saveCurrentSearch());
  }

  onShow(name) {
    if (name === "graph") this.search.resizeGraph();
    if (name === "teaching") this.teachingSets.reload();
    if (name === "saved") this.savedSearches.load();
    if (name === "curation") this.curation.load();
    if (name === "map") {
      this.mapView.resize();
      if (!this.isMapLoaded) this.mapView.load();
      this.isMapLoaded = true;
    }
  }

  /** Show only what the user's capabilities allow. */
  setUser(user) {
    setCapabilities(user?.capabilities);
    $("#tab-saved").hidden = !can("research");
    $("#save-search").hidden = !can("research");
    $("#tab-curation").hidden = !can("curate");
  }

  /** Open the tab named in ?view= (e.g. /?view=curation). */
  showRequestedTab() {
    const view = new URLSearchParams(window.location.search).get("view");
    if (view) this.tabs.show(view);
  }

  addToSet(imageId) {
    return this.addToSetDialog.open(imageId);
  }

  /** Save the query of the view shown (the uploaded file, or the repository image id) under a name. */
  async saveCurrentSearch() {
    const { status } = this.search;
    const view = this.search.currentView();
    if (!view) {
      status.show("error", "saved.nothing");
      return;
    }
    if (view.request.pacs) { // saved searches keep an image or keywords, not PACS UIDs
      status.show("error", "saved.pacsUnsupported");
      return;
    }
    const name = window.prompt(t("saved.namePrompt"), t("saved.defaultName", { date: new Date().toLocaleString() }));
    if (!name || !name.trim()) return;
    try {
      const saved = await api.saveSearch(name.trim(), view.request);
      status.done("saved.saved", { name: saved.name });
      if (this.tabs.current === "saved") this.savedSearches.load();
    } catch (error) {
      status.error(errorText(error));
    }
  }

  /** Re-run a saved search and draw its graph. */
  runSaved(saved) {
    const parameters = saved.parameters || {};
    const request = { k: parameters.k, q: parameters.q || "", encoder: saved.encoder || "", ...(parameters.filters || {}),
                      imageId: parameters.image_id ?? null, fileName: "", previewUrl: null };
    this.tabs.show("graph");
    this.search.deselect();
    // an uploaded query saved under an older encoder version still answers, but misses newer images: say so
    const done = (view) => [view.query?.saved_search?.outdated ? "saved.ranOutdated" : "saved.ran", { name: saved.name }];
    return this.search.runSearch(() => api.runSavedSearch(saved.id), request, done);
  }

  /** "Why similar?": the heatmaps of the query shown and this result, or the server's reason why there are none. */
  async explainSimilarity(node, panel) {
    const view = this.search.currentView();
    const request = view?.request || {};
    panel.showWhySimilar(node, { loading: true });
    try {
      const answer = await api.whySimilar(node.imageId, { queryImageId: request.imageId, file: request.file,
                                                          encoder: view?.query?.encoder || request.encoder });
      panel.showWhySimilar(node, { answer });
    } catch (error) {
      panel.showWhySimilar(node, { error: errorText(error) });
    }
  }

  refreshLanguage() {
    this.teachingSets.refresh();
    this.savedSearches.render();
    this.mapView.translate();
    this.curation.render();
  }

  exposeTestHooks() {
    window.__cbirMap = { imageIds: () => this.mapView.map.ids(), viewportPosition: (id) => this.mapView.map.viewportPosition(id) };
  }
}
