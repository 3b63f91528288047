// The proximity graph drawn with sigma.js: thumbnails as nodes, framed by their halo colour.
import Graph from "graphology";
import Sigma from "sigma";

import { LABEL_COLOR, QUERY_COLOR, SELECTED_COLOR, SQUARE_HALF_SIDE, communityColor, edgeColor, edgeSize, haloColor,
         queryNodeSize, resultNodeSize } from "./appearance.js";
import { createSquareNodeImageProgram } from "./squareImageProgram.js";

const LABEL_FONT = "Inter, 'Segoe UI', system-ui, sans-serif";
// Above this many results a graph is "large": thumbnails come from small textures, and edges and labels are
// hidden while the camera moves. At 2,000 results, 160 px thumbnails fill four 4096² atlases that are
// uploaded again whenever more images arrive, and with software WebGL redrawing 3,600 edges on every frame
// of a pan tripled its frame time (docs/BENCHMARKS.md, issue 6).
const MANY_RESULTS = 300;
const THUMBNAIL_IMAGE = { keepWithinCircle: false, objectFit: "contain" };
const DRAG_THRESHOLD_PX = 4; // a press that moves less is still a click (hands shake)

/** Label centred under the thumbnail, on a dark pill so it stays readable over edges. */
function drawLabelBelow(context, data, settings) {
  if (!data.label) return;
  const size = settings.labelSize;
  context.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
  const width = context.measureText(data.label).width;
  const x = data.x - width / 2;
  const y = data.y + data.size * SQUARE_HALF_SIDE + size + 6;
  context.fillStyle = "rgba(11,15,20,0.78)";
  context.beginPath();
  context.roundRect(x - 4, y - size, width + 8, size + 5, 3);
  context.fill();
  context.fillStyle = data.labelColor || LABEL_COLOR;
  context.fillText(data.label, x, y);
}

function drawNothing() {}

function nodeType(node, resultCount) {
  if (!node.thumbnailUrl) return "circle";
  return resultCount > MANY_RESULTS ? "smallImage" : "image";
}

function nodeAttributes(node, resultCount, labelFor) {
  const size = node.isQuery ? queryNodeSize(resultCount) : resultNodeSize(resultCount);
  return {
    size,
    type: nodeType(node, resultCount),
    image: node.thumbnailUrl || undefined,
    color: node.thumbnailUrl ? "#000000" : QUERY_COLOR, // behind transparent pixels; a plain disc without image
    halo: node.thumbnailUrl ? haloColor(node) : null, // a query without preview is already a yellow disc
    label: labelFor(node),
    labelColor: node.isQuery ? "#f5c518" : communityColor(node.community) || LABEL_COLOR,
    forceLabel: node.isQuery,
    zIndex: node.isQuery ? 2 : 1,
    imageId: node.imageId,
  };
}

export class ProximityGraph {
  constructor(container, { onNodeClick, onNodeEnter, onNodeLeave, onCameraMove } = {}) {
    this.container = container;
    this.graph = new Graph({ type: "undirected" });
    this.selectedKey = null;
    this.drag = null; // {key, start, moved} while a node is held down
    this.onDragStart = onNodeLeave; // the hover preview would stay where the node was
    this.isLarge = false;
    this.ignoreNextClick = false;
    this.sigma = new Sigma(this.graph, container, {
      allowInvalidContainer: true, // the graph tab may be hidden while the list is shown
      defaultNodeType: "image",
      nodeProgramClasses: {
        image: createSquareNodeImageProgram({ ...THUMBNAIL_IMAGE, size: { mode: "force", value: 160 } }),
        smallImage: createSquareNodeImageProgram({ ...THUMBNAIL_IMAGE, size: { mode: "force", value: 64 },
                                                   maxTextureSize: 2048 }),
      },
      labelFont: LABEL_FONT,
      labelSize: 12,
      labelWeight: "600",
      labelColor: { attribute: "labelColor", color: LABEL_COLOR },
      labelDensity: 0.5,
      labelGridCellSize: 90,
      labelRenderedSizeThreshold: 10,
      defaultDrawNodeLabel: drawLabelBelow,
      defaultDrawNodeHover: drawNothing,
      zIndex: true,
      itemSizesReference: "positions",
      zoomToSizeRatioFunction: (ratio) => ratio,
      stagePadding: 16,
      minCameraRatio: 0.08,
      maxCameraRatio: 4,
      nodeReducer: (key, data) => (key === this.selectedKey
        ? { ...data, forceLabel: true, zIndex: 3 } : data),
      edgeReducer: (key, data) => (this.hidesEdge(key) ? { ...data, hidden: true } : data),
    });
    // Halos are square frames drawn on a 2D layer between the edges and the thumbnails.
    this.sigma.createCanvasContext("halos", { beforeLayer: "nodes" });
    this.haloContext = this.sigma.getCanvases().halos.getContext("2d");
    this.sigma.resize(true);
    this.sigma.on("afterRender", () => this.drawHalos());
    this.sigma.on("clickNode", ({ node }) => {
      if (this.ignoreNextClick) return; // the end of a drag, not a click
      onNodeClick?.(node);
    });
    this.sigma.on("downNode", ({ node, event }) => {
      if (event.original.button === 0) this.drag = { key: node, start: { x: event.x, y: event.y }, moved: false };
    });
    this.sigma.on("moveBody", ({ event }) => this.dragTo(event));
    this.sigma.getMouseCaptor().on("mousedown", () => { this.ignoreNextClick = false; });
    this.sigma.getMouseCaptor().on("mouseup", () => this.endDrag());
    this.sigma.on("enterNode", ({ node }) => {
      container.style.cursor = "pointer";
      onNodeEnter?.(node);
    });
    this.sigma.on("leaveNode", ({ node }) => {
      container.style.cursor = "";
      onNodeLeave?.(node);
    });
    this.sigma.getCamera().on("updated", () => onCameraMove?.());
    // The metadata panel and the tabs change the container's size, not the window's.
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
  }

  /** Draw a graph: {nodes, edges} with positions (Map key -> {x, y}). */
  show({ nodes, edges }, positions, { labelFor = (node) => node.label, fit = true } = {}) {
    const resultCount = nodes.filter((node) => !node.isQuery).length;
    const byKey = new Map(nodes.map((node) => [node.key, node]));
    this.drag = null;
    this.graph.clear();
    for (const node of nodes) {
      const { x, y } = positions.get(node.key) ?? { x: 0, y: 0 };
      this.graph.addNode(node.key, { x, y, ...nodeAttributes(node, resultCount, labelFor) });
    }
    for (const edge of edges) {
      if (!this.graph.hasNode(edge.source) || !this.graph.hasNode(edge.target)) continue;
      if (this.graph.hasEdge(edge.source, edge.target)) continue;
      this.graph.addEdge(edge.source, edge.target, {
        color: edgeColor(edge, byKey.get(edge.source), byKey.get(edge.target)),
        size: edgeSize(edge),
        zIndex: edge.fromCentre ? 0 : 1,
      });
    }
    if (this.selectedKey && !this.graph.hasNode(this.selectedKey)) this.selectedKey = null;
    this.container.dataset.nodeCount = String(this.graph.order);
    this.container.dataset.edgeCount = String(this.graph.size);
    this.isLarge = resultCount > MANY_RESULTS;
    this.sigma.setSetting("hideEdgesOnMove", this.isLarge);
    this.sigma.setSetting("hideLabelsOnMove", this.isLarge);
    this.sigma.setCustomBBox(this.paddedBBox());
    if (fit) this.sigma.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    this.sigma.refresh();
  }

  /** Node centres' box grown by the largest thumbnail, its frame and its label (graph units). */
  paddedBBox() {
    let [minX, maxX, minY, maxY, maxSize] = [Infinity, -Infinity, Infinity, -Infinity, 0];
    this.graph.forEachNode((key, { x, y, size }) => {
      [minX, maxX, minY, maxY] = [Math.min(minX, x), Math.max(maxX, x), Math.min(minY, y), Math.max(maxY, y)];
      maxSize = Math.max(maxSize, size);
    });
    if (!Number.isFinite(minX)) return null;
    const margin = maxSize * SQUARE_HALF_SIDE * 1.2;
    const labelRoom = margin + 0.07;
    return { x: [minX - margin, maxX + margin], y: [minY - labelRoom, maxY + margin] };
  }

  /** Halo frames, one path per colour and line width: a few strokes however many nodes there are. */
  drawHalos() {
    const context = this.haloContext;
    const { width, height } = this.sigma.getDimensions();
    context.clearRect(0, 0, width, height);
    const batches = new Map();
    this.graph.forEachNode((key, attributes) => {
      const isSelected = key === this.selectedKey;
      if (!attributes.halo && !isSelected) return;
      const display = this.sigma.getNodeDisplayData(key);
      if (!display || display.hidden) return;
      const { x, y } = this.sigma.framedGraphToViewport(display);
      const half = this.sigma.scaleSize(display.size) * SQUARE_HALF_SIDE;
      const line = Math.max(2, half * 0.14);
      const reach = half + line * 3 + 15; // outer frame and glow
      if (x + reach < 0 || y + reach < 0 || x - reach > width || y - reach > height) return;
      const frames = [];
      if (attributes.halo) frames.push({ color: attributes.halo, offset: line / 2, glow: attributes.halo === QUERY_COLOR });
      if (isSelected) frames.push({ color: SELECTED_COLOR, offset: line * (attributes.halo ? 2 : 0.5) + 1, glow: false });
      for (const frame of frames) {
        const style = `${frame.color} ${line} ${frame.glow}`;
        if (!batches.has(style)) batches.set(style, { ...frame, line, path: new Path2D() });
        const side = 2 * (half + frame.offset);
        batches.get(style).path.rect(x - half - frame.offset, y - half - frame.offset, side, side);
      }
    });
    for (const { color, line, glow, path } of batches.values()) {
      context.save();
      context.strokeStyle = color;
      context.lineWidth = line;
      if (glow) {
        context.shadowColor = color;
        context.shadowBlur = 14;
      }
      context.stroke(path);
      context.restore();
    }
  }

  /** Edges left out while a node of a large graph is dragged: all but the dragged node's own. */
  hidesEdge(key) {
    return Boolean(this.drag?.moved && this.isLarge && !this.graph.hasExtremity(key, this.drag.key));
  }

  /** A node held down follows the mouse instead of the camera; the view's own layout is left unchanged. */
  dragTo(event) {
    if (!this.drag) return;
    event.preventSigmaDefault(); // no camera pan
    event.original.preventDefault();
    if (!this.drag.moved) {
      if (Math.hypot(event.x - this.drag.start.x, event.y - this.drag.start.y) < DRAG_THRESHOLD_PX) return;
      this.drag.moved = true;
      this.onDragStart?.(this.drag.key);
      if (this.isLarge) this.sigma.refresh({ schedule: true }); // through edgeReducer
    }
    const { x, y } = this.sigma.viewportToGraph(event);
    this.graph.mergeNodeAttributes(this.drag.key, { x, y });
  }

  endDrag() {
    if (!this.drag) return;
    this.ignoreNextClick = this.drag.moved;
    const showEdges = this.drag.moved && this.isLarge;
    this.drag = null;
    if (showEdges) this.sigma.refresh({ schedule: true });
  }

  clear() {
    this.graph.clear();
    this.selectedKey = null;
    this.drag = null;
    this.container.dataset.nodeCount = "0";
    this.container.dataset.edgeCount = "0";
    this.sigma.refresh();
  }

  /** Relabel nodes in place (language switch) without a new layout. */
  relabel(labelFor, nodesByKey) {
    this.graph.forEachNode((key) => {
      const node = nodesByKey.get(key);
      if (node) this.graph.setNodeAttribute(key, "label", labelFor(node));
    });
  }

  select(key) {
    this.selectedKey = key;
    this.sigma.refresh({ skipIndexation: true });
  }

  /** Where a node is drawn, in pixels from the graph container's top-left corner. */
  viewportPosition(key) {
    if (!this.graph.hasNode(key)) return null;
    const display = this.sigma.getNodeDisplayData(key);
    const { x, y } = this.sigma.framedGraphToViewport(display);
    return { x, y, size: this.sigma.scaleSize(display.size) * SQUARE_HALF_SIDE };
  }

  keys() {
    return this.graph.nodes();
  }

  resize() {
    this.sigma.resize();
    this.sigma.refresh();
  }

  zoomIn() {
    this.sigma.getCamera().animatedZoom({ duration: 250 });
  }

  zoomOut() {
    this.sigma.getCamera().animatedUnzoom({ duration: 250 });
  }

  resetCamera() {
    this.sigma.getCamera().animatedReset({ duration: 300 });
  }
}
