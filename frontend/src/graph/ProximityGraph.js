// The proximity graph drawn with sigma.js: thumbnails as nodes, framed by their halo colour.
import Graph from "graphology";
import Sigma from "sigma";
import { createNodeImageProgram } from "@sigma/node-image";

import { LABEL_COLOR, QUERY_COLOR, SELECTED_COLOR, SQUARE_HALF_SIDE, communityColor, edgeColor, edgeSize, haloColor,
         queryNodeSize, resultNodeSize } from "./appearance.js";

const LABEL_FONT = "Inter, 'Segoe UI', system-ui, sans-serif";

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

function nodeAttributes(node, resultCount, labelFor) {
  const size = node.isQuery ? queryNodeSize(resultCount) : resultNodeSize(resultCount);
  return {
    size,
    type: node.thumbnailUrl ? "image" : "circle",
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
    this.sigma = new Sigma(this.graph, container, {
      allowInvalidContainer: true, // the graph tab may be hidden while the list is shown
      defaultNodeType: "image",
      nodeProgramClasses: {
        image: createNodeImageProgram({ keepWithinCircle: false, objectFit: "contain",
                                        size: { mode: "force", value: 160 } }),
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
    });
    // Halos are square frames drawn on a 2D layer between the edges and the thumbnails.
    this.sigma.createCanvasContext("halos", { beforeLayer: "nodes" });
    this.haloContext = this.sigma.getCanvases().halos.getContext("2d");
    this.sigma.resize(true);
    this.sigma.on("afterRender", () => this.drawHalos());
    this.sigma.on("clickNode", ({ node }) => onNodeClick?.(node));
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

  drawHalos() {
    const context = this.haloContext;
    const { width, height } = this.sigma.getDimensions();
    context.clearRect(0, 0, width, height);
    this.graph.forEachNode((key, attributes) => {
      const isSelected = key === this.selectedKey;
      if (!attributes.halo && !isSelected) return;
      const display = this.sigma.getNodeDisplayData(key);
      if (!display || display.hidden) return;
      const { x, y } = this.sigma.framedGraphToViewport(display);
      const half = this.sigma.scaleSize(display.size) * SQUARE_HALF_SIDE;
      const line = Math.max(2, half * 0.14);
      const frames = [];
      if (attributes.halo) frames.push({ color: attributes.halo, offset: line / 2, glow: attributes.halo === QUERY_COLOR });
      if (isSelected) frames.push({ color: SELECTED_COLOR, offset: line * (attributes.halo ? 2 : 0.5) + 1, glow: false });
      for (const frame of frames) {
        context.save();
        context.strokeStyle = frame.color;
        context.lineWidth = line;
        if (frame.glow) {
          context.shadowColor = frame.color;
          context.shadowBlur = 14;
        }
        const side = 2 * (half + frame.offset);
        context.strokeRect(x - half - frame.offset, y - half - frame.offset, side, side);
        context.restore();
      }
    });
  }

  clear() {
    this.graph.clear();
    this.selectedKey = null;
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
