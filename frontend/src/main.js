// Wires the page together: query form -> API -> proximity graph, list, metadata panel and history.
import "./styles.css";
import "./workspace.css";

import * as api from "./api.js";
import { errorText } from "./errors.js";
import { getLanguage, onLanguageChange, setLanguage, startLanguage, t, translatePage } from "./i18n.js";
import { QUERY_KEY, imageKey } from "./graph/graphData.js";
import { expandedView, resultCount, searchView } from "./graph/views.js";
import { ProximityGraph } from "./graph/ProximityGraph.js";
import { buildPermalinkHash, parsePermalink } from "./permalink.js";
import { ViewHistory } from "./viewHistory.js";
import { UploadBox } from "./components/UploadBox.js";
import { StatusLine } from "./components/StatusLine.js";
import { Legend } from "./components/Legend.js";
import { MetadataPanel } from "./components/MetadataPanel.js";
import { ResultList } from "./components/ResultList.js";
import { HoverPreview } from "./components/HoverPreview.js";
import { RepositoryPicker } from "./components/RepositoryPicker.js";
import { QuerySummary } from "./components/QuerySummary.js";
import { SignInDialog } from "./components/SignInDialog.js";
import { QueryForm } from "./components/QueryForm.js";
import { pacsDoneMessage } from "./components/PacsQueryFields.js";
import { Workspace } from "./workspace.js";

const EXPAND_K = 10;
const $ = (selector) => document.querySelector(selector);

const history = new ViewHistory();
let currentView = null;
let requestCounter = 0; // answers to anything but the latest request are dropped
let searchCounter = 0; // the search button stays busy until the latest search ends
let lastHash = "";

const status = new StatusLine($("#status"));
const form = new QueryForm({ onInvalid: (key) => status.show("error", key),
                             loadFacets: (filters) => api.getFacets(filters) });
const summary = new QuerySummary($("#query-summary"));
const legend = new Legend($("#legend"));
const hoverPreview = new HoverPreview($("#hover-preview"));
const uploadBox = new UploadBox($("#upload-box"), { onFile: () => {
  status.idle();
  form.clearPacs(); // a file chosen after typing UIDs is the new query
} });
const panel = new MetadataPanel($("#metadata-panel"), {
  onClose: () => deselect(),
  onExpand: (node) => expandNode(node),
  onMoreLikeThis: (node) => searchRepositoryImage(node.imageId, { thumbnailUrl: node.thumbnailUrl }),
  onAddToSet: (node) => workspace.addToSet(node.imageId),
  onWhySimilar: (node) => workspace.explainSimilarity(node, panel),
  // heatmaps need the query's pixels: a repository image or an uploaded file, not keywords or PACS UIDs alone
  canExplainSimilarity: () => currentView?.request?.imageId != null || Boolean(currentView?.request?.file),
});
const resultList = new ResultList($("#result-list"), { onSelect: (node) => selectNode(node.key),
                                                       onAddToSet: (node) => workspace.addToSet(node.imageId) });
const graph = new ProximityGraph($("#graph"), {
  onNodeClick: (key) => selectNode(key),
  onNodeEnter: (key) => {
    const node = nodeByKey(key);
    if (node) hoverPreview.show(node, graph.viewportPosition(key));
  },
  onNodeLeave: () => hoverPreview.hide(),
  onCameraMove: () => hoverPreview.hide(),
});
const workspace = new Workspace({
  status, runSearch, searchRepositoryImage, deselect,
  currentView: () => currentView,
  resizeGraph: () => graph.resize(),
});
const picker = new RepositoryPicker($("#repository-picker"), {
  loadPage: (options) => api.listImages(options),
  onPick: (image) => searchRepositoryImage(image.id, { thumbnailUrl: image.thumbnail_url }),
});

function nodeByKey(key) {
  return currentView?.data.nodes.find((node) => node.key === key) ?? null;
}

function labelFor(node) {
  return node.isQuery ? t("graph.query") : node.label || `#${node.imageId}`;
}

async function runSearch(call, request, doneMessage = null) {
  const ticket = ++requestCounter;
  const search = ++searchCounter;
  form.setBusy(true);
  status.busy("status.searching");
  const started = performance.now();
  try {
    const answer = await call();
    if (ticket !== requestCounter) return;
    const elapsed = Math.round(performance.now() - started);
    const view = searchView(answer, request);
    showView(view, { record: true });
    const [key, params] = doneMessage ? doneMessage(view) : ["status.found", {}];
    status.done(key, { n: resultCount(view), ms: elapsed, ...params });
  } catch (error) {
    if (ticket === requestCounter) status.error(errorText(error));
  } finally {
    if (search === searchCounter) form.setBusy(false);
  }
}

/** Search with what the form holds: PACS UIDs, else a file, else the repository image shown, else keywords alone. */
function searchFromForm() {
  const options = form.read();
  if (!options) return;
  const { file, repositoryImageId } = uploadBox;
  const pacs = form.readPacs();
  if (pacs) {
    deselect();
    runSearch(() => api.searchByPacs(pacs, options), { ...options, pacs, imageId: null, fileName: "", previewUrl: null },
              pacsDoneMessage);
  } else if (file) {
    runSearch(() => api.searchByFile(file, options),
              { ...options, imageId: null, file, fileName: file.name, previewUrl: uploadBox.previewUrl });
  } else if (repositoryImageId != null) {
    searchRepositoryImage(repositoryImageId, { options });
  } else if (options.q) {
    runSearch(() => api.searchByKeywords(options), { ...options, imageId: null, fileName: "", previewUrl: null });
  } else {
    status.show("error", "status.noQuery");
  }
}

function searchRepositoryImage(imageId, { thumbnailUrl, options: given } = {}) {
  const options = given || form.read();
  if (!options) return Promise.resolve();
  const previewUrl = thumbnailUrl || api.thumbnailUrl(imageId);
  uploadBox.showRepositoryImage(imageId, previewUrl);
  form.clearPacs();
  deselect();
  return runSearch(() => api.searchByImageId(imageId, options), { ...options, imageId, fileName: "", previewUrl });
}

async function expandNode(node) {
  if (!currentView || node.imageId == null) return;
  const ticket = ++requestCounter;
  status.busy("status.expanding", { id: node.imageId });
  const started = performance.now();
  try {
    // the search's own filters (modality, dataset, teaching set…) hold for its expansions too
    const answer = await api.getNeighbours(node.imageId, { ...currentView.request,
                                                          k: Math.min(currentView.request.k, EXPAND_K) });
    if (ticket !== requestCounter) return;
    const added = expandedView(currentView, node, answer);
    const addedCount = added.data.nodes.length - currentView.data.nodes.length;
    showView(added, { record: true, keepSelection: true });
    status.done("status.expanded", { n: addedCount, id: node.imageId, ms: Math.round(performance.now() - started) });
  } catch (error) {
    if (ticket === requestCounter) status.error(errorText(error));
  }
}

function showView(view, { record = false, keepSelection = false } = {}) {
  currentView = view;
  if (record) history.push(view);
  $("#graph-empty").hidden = true;
  graph.show(view.data, view.positions, { labelFor, fit: !keepSelection });
  resultList.render(view.data.nodes);
  legend.render(communitiesOf(view.data.nodes));
  summary.render(view.query);
  form.rememberValues(view.data.nodes);
  $("#back").disabled = !history.canGoBack;
  $("#save-search").disabled = false;
  updatePermalink(view);
  if (keepSelection && panel.state) {
    graph.select(panel.state.node.key);
  } else {
    deselect();
  }
}

function communitiesOf(nodes) {
  return [...new Set(nodes.map((node) => node.community).filter((value) => value != null && value >= 0))].sort((a, b) => a - b);
}

function updatePermalink(view) {
  const hash = buildPermalinkHash({ ...view.request, expanded: view.expanded });
  lastHash = hash;
  window.history.replaceState(null, "", hash || window.location.pathname + window.location.search);
  const button = $("#permalink");
  button.disabled = !hash;
  button.title = hash ? "" : t("permalink.unavailable");
}

async function copyPermalink() {
  const url = window.location.href;
  try {
    await navigator.clipboard.writeText(url);
    status.done("permalink.copied");
  } catch {
    status.done("permalink.shown", { url });
  }
}

async function applyPermalink(hash) {
  const link = parsePermalink(hash);
  if (!link) return;
  lastHash = hash;
  const { imageId, expanded, ...options } = { ...link, k: link.k || 20 };
  form.write(options);
  if (imageId != null) {
    await searchRepositoryImage(imageId, { options });
  } else {
    await runSearch(() => api.searchByKeywords(options), { ...options, imageId: null, fileName: "", previewUrl: null });
  }
  for (const expandedId of expanded) {
    const node = nodeByKey(imageKey(expandedId));
    if (!node) break;
    await expandNode(node);
  }
}

function goBack() {
  const view = history.back();
  if (!view) return;
  ++requestCounter; // a search still under way must not replace the view we went back to
  showView(view);
  form.write(view.request);
  const { imageId, file, previewUrl } = view.request;
  if (imageId != null) uploadBox.showRepositoryImage(imageId, previewUrl);
  else if (file) uploadBox.showFile(file, previewUrl);
  status.done("status.restored");
}

async function selectNode(key) {
  const node = nodeByKey(key);
  if (!node) return;
  hoverPreview.hide();
  graph.select(key);
  resultList.markSelected(node.imageId);
  if (node.imageId == null) {
    panel.render({ node, details: null, error: null, loading: false, queryInfo: currentView.query });
    return;
  }
  panel.showLoading(node, { queryInfo: node.isQuery ? currentView.query : null });
  try {
    panel.showDetails(node, await api.getImage(node.imageId));
  } catch (error) {
    panel.showError(node, errorText(error));
  }
}

function deselect() {
  panel.close();
  graph.select(null);
  resultList.markSelected(null);
}

let signedIn = null; // resolves once somebody is signed in
let shownUsername = null; // whose data the page holds
const signInDialog = new SignInDialog({
  onSignIn: async (username, password) => {
    const user = await api.signIn(username, password);
    if (shownUsername && user.username !== shownUsername) {
      // someone else took over (e.g. after the session expired): nothing of the previous user's screen may stay
      window.location.reload();
      return;
    }
    showAccount(user);
    signedIn?.resolve();
  },
});

function showAccount(user) {
  if (user) shownUsername = user.username;
  workspace.setUser(user);
  form.enableFacets(Boolean(user)); // the counts depend on who asks (teaching sets)
  resultList.render();
  panel.refresh();
  $("#account").hidden = !user;
  $("#account-name").textContent = user ? t("signin.signedInAs", { name: user.username, roles: user.roles.join(", ") }) : "";
}

/** Resolves when a user is signed in, asking for credentials when there is no session. */
async function ensureSignedIn() {
  try {
    showAccount(await api.getMe());
  } catch (error) {
    if (error.status !== 401) throw error;
    await new Promise((resolve) => {
      signedIn = { resolve };
      signInDialog.open();
    });
  }
}

async function signOut() {
  await api.signOut().catch(() => {});
  // a fresh page: the graph, history, chosen file and open panels of this user must not reach the next one
  window.location.reload();
}

async function loadEncoders() {
  try {
    form.showEncoders(await api.listEncoders());
  } catch {
    // The default encoder still works; the selector just offers nothing else.
  }
}

function refreshLanguage() {
  signInDialog.translate();
  status.refresh();
  summary.refresh();
  legend.render();
  resultList.render();
  panel.refresh();
  workspace.refreshLanguage();
  if (currentView) {
    graph.relabel(labelFor, new Map(currentView.data.nodes.map((node) => [node.key, node])));
    updatePermalink(currentView);
  }
  if (uploadBox.repositoryImageId != null && !uploadBox.file) {
    uploadBox.showRepositoryImage(uploadBox.repositoryImageId, uploadBox.previewUrl);
  }
  form.setBusy(form.isBusy);
}

function exposeTestHooks() {
  // Sigma draws on canvases; tests use this to find where a node is drawn, then click there.
  window.__cbirGraph = {
    imageIds: () => graph.keys().filter((key) => key !== QUERY_KEY).map((key) => Number(key.slice(4))),
    viewportPosition: (imageId) => graph.viewportPosition(imageId === "query" ? QUERY_KEY : imageKey(imageId)),
  };
  workspace.exposeTestHooks();
}

async function start() {
  await startLanguage(); // the saved language's catalogue first, so the page never flashes English
  translatePage();
  $("#language").value = getLanguage();
  $("#language").addEventListener("change", (event) => setLanguage(event.target.value));
  onLanguageChange(refreshLanguage);
  status.idle();
  legend.render([]);
  resultList.render([]);
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchFromForm();
  });
  // Dropping an image on the graph area searches with it straight away.
  uploadBox.acceptDropsOn($("#graph-view"), () => searchFromForm());
  $("#pick-repository").addEventListener("click", () => picker.open());
  $("#back").addEventListener("click", goBack);
  $("#permalink").addEventListener("click", copyPermalink);
  $("#zoom-in").addEventListener("click", () => graph.zoomIn());
  $("#zoom-out").addEventListener("click", () => graph.zoomOut());
  $("#zoom-reset").addEventListener("click", () => graph.resetCamera());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.isOpen) deselect();
  });
  window.addEventListener("hashchange", () => {
    if (window.location.hash !== lastHash) applyPermalink(window.location.hash);
  });
  $("#sign-out").addEventListener("click", signOut);
  api.onUnauthorized(() => signInDialog.open());
  exposeTestHooks();
  ensureSignedIn().then(() => {
    loadEncoders();
    workspace.showRequestedTab();
    if (window.location.hash) applyPermalink(window.location.hash);
  }).catch((error) => status.error(errorText(error))); // e.g. the server is down: say so, do not half-work
}

start();
