// The 2-D map of the whole repository drawn with sigma.js: one dot per image, coloured by diagnosis.
import Graph from "graphology";
import Sigma from "sigma";

import { UNKNOWN_HALO } from "./appearance.js";

export const MAP_NODE_SIZE = 4;

export class RepositoryMap {
  constructor(container, { onPointClick, onPointEnter, onPointLeave } = {}) {
    this.container = container;
    this.graph = new Graph();
    this.sigma = new Sigma(this.graph, container, {
      allowInvalidContainer: true, // the map tab is hidden until opened
      renderLabels: false,
      defaultDrawNodeHover: () => {},
      stagePadding: 20,
    });
    this.sigma.on("clickNode", ({ node }) => onPointClick?.(Number(node)));
    this.sigma.on("enterNode", ({ node }) => {
      container.style.cursor = "pointer";
      onPointEnter?.(Number(node));
    });
    this.sigma.on("leaveNode", () => {
      container.style.cursor = "";
      onPointLeave?.();
    });
    new ResizeObserver(() => this.resize()).observe(container);
  }

  /** points: [{id, x, y, label}]; colors: Map label -> colour. */
  show(points, colors) {
    this.graph.clear();
    for (const point of points) {
      this.graph.addNode(String(point.id), { x: point.x, y: -point.y, size: MAP_NODE_SIZE,
                                             color: colors.get(point.label) || UNKNOWN_HALO });
    }
    this.container.dataset.pointCount = String(this.graph.order);
    this.sigma.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    this.sigma.refresh();
  }

  /** Where a point is drawn, in pixels from the container's top-left corner (tests click there). */
  viewportPosition(id) {
    const key = String(id);
    if (!this.graph.hasNode(key)) return null;
    return this.sigma.framedGraphToViewport(this.sigma.getNodeDisplayData(key));
  }

  ids() {
    return this.graph.nodes().map(Number);
  }

  resize() {
    this.sigma.resize();
    this.sigma.refresh();
  }
}
