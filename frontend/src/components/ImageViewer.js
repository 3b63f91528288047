// The panel's DICOM viewer: raw modality values on a canvas with window/level, presets and slice scrolling.
import { getImageSeries, getRawFrame } from "../api.js";
import { t } from "../i18n.js";
import { clampSlice, draggedWindow, formatWindowNumber, presetKeys, presetWindow, sliceStack,
         windowedRgba } from "../viewerModel.js";
import { element } from "./dom.js";

const CACHE_SIZE = 32; // frames kept in memory: scrolling back and forth asks the server once
const PAGE_STEP = 10;
const KEY_STEPS = { ArrowUp: -1, ArrowLeft: -1, ArrowDown: 1, ArrowRight: 1, PageUp: -PAGE_STEP, PageDown: PAGE_STEP };

export class ImageViewer {
  /** From the image details: id, modality, frame count and size; onUnavailable(message) asks for the PNG view. */
  constructor({ imageId, modality, frameCount = 1, width = 0, height = 0, onUnavailable }) {
    Object.assign(this, { imageId, modality, onUnavailable });
    ({ slices: this.slices, start: this.index } = sliceStack([], imageId, frameCount));
    Object.assign(this, { cache: new Map(), frame: null, window: null, preset: "default", invert: false,
                          status: ["viewer.loading", {}], ticket: 0, renders: 0, pixels: null, drag: null });
    const canvasAttrs = { id: "viewer-canvas", tabindex: "0", role: "img", width: String(width), height: String(height) };
    this.canvas = element("canvas", { className: "viewer-canvas", attrs: canvasAttrs });
    this.root = element("div", { className: "dicom-viewer" });
    this.bindCanvas();
    this.showSlice(this.index);
    this.loadSeries(frameCount);
  }

  /** The viewer's element, its controls (re)built in the current language; the canvas and state persist. */
  render() {
    this.controls = {};
    const status = element("p", { className: "viewer-status", attrs: { "aria-live": "polite" } });
    this.root.replaceChildren(this.canvas, this.windowControls(), this.sliceControls(),
                              element("p", { className: "viewer-hint", text: t("viewer.hint") }), this.remember("status", status));
    this.update();
    return this.root;
  }

  remember(name, node) {
    this.controls[name] = node;
    return node;
  }

  windowControls() {
    const options = [...presetKeys(this.modality), "custom"]
      .map((key) => element("option", { text: t(`viewer.preset.${key}`), attrs: { value: key } }));
    const preset = this.remember("preset", element("select", { attrs: { id: "viewer-preset" } }, options));
    preset.addEventListener("change", () => this.choosePreset(preset.value));
    const invert = element("input", { attrs: { type: "checkbox", id: "viewer-invert" } });
    invert.checked = this.invert;
    invert.addEventListener("change", () => {
      this.invert = invert.checked;
      this.draw();
    });
    return element("div", { className: "viewer-controls" }, [
      labelled("viewer.preset", preset),
      labelled("viewer.width", this.numberInput("width")),
      labelled("viewer.level", this.numberInput("center")),
      element("label", { className: "viewer-field viewer-invert" },
              [invert, element("span", { text: t("display.invert") })]),
      this.remember("units", element("span", { className: "viewer-units" })),
    ]);
  }

  numberInput(field) {
    const id = field === "width" ? "viewer-window-width" : "viewer-window-level";
    const input = this.remember(field, element("input", { attrs: { type: "number", step: "any", id } }));
    input.addEventListener("change", () => {
      const value = Number(input.value);
      if (!this.window || input.value === "" || !Number.isFinite(value)) return this.update();
      this.setWindow({ ...this.window, [field]: field === "width" ? Math.max(1, value) : value }, "custom");
    });
    return input;
  }

  sliceControls() {
    const slider = this.remember("slider", element("input", { attrs: { type: "range", id: "viewer-slice", min: "1" } }));
    slider.addEventListener("input", () => this.goTo(Number(slider.value) - 1));
    return this.remember("sliceRow", element("div", { className: "viewer-slices" }, [
      labelled("viewer.slice", slider),
      this.remember("sliceText", element("output", { className: "viewer-slice-text",
                                                     attrs: { id: "viewer-slice-text", for: "viewer-slice" } })),
    ]));
  }

  bindCanvas() {
    const canvas = this.canvas;
    canvas.addEventListener("contextmenu", (event) => event.preventDefault()); // the right button drags W/L
    canvas.addEventListener("pointerdown", (event) => {
      if (!this.frame || (event.button !== 0 && event.button !== 2)) return;
      event.preventDefault();
      canvas.focus();
      canvas.setPointerCapture?.(event.pointerId);
      this.drag = { x: event.clientX, y: event.clientY, window: { ...this.window } };
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.drag) return;
      const { x, y, window } = this.drag;
      this.setWindow(draggedWindow(window, event.clientX - x, event.clientY - y, this.frame), "custom");
    });
    const endDrag = () => { this.drag = null; };
    canvas.addEventListener("pointerup", endDrag);
    canvas.addEventListener("pointercancel", endDrag);
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault(); // scroll slices, not the panel
      this.step(Math.sign(event.deltaY));
    }, { passive: false });
    canvas.addEventListener("keydown", (event) => this.onKey(event));
  }

  onKey(event) {
    const last = this.slices.length - 1;
    const target = event.key === "Home" ? 0 : event.key === "End" ? last
      : event.key in KEY_STEPS ? clampSlice(this.index, KEY_STEPS[event.key], this.slices.length) : null;
    if (target === null) return;
    event.preventDefault();
    this.goTo(target);
  }

  step(delta) {
    if (delta) this.goTo(clampSlice(this.index, delta, this.slices.length));
  }

  goTo(index) {
    if (index === this.index || index < 0 || index >= this.slices.length) return;
    this.showSlice(index);
  }

  /** Load and draw one slice; a failure on the first one means no window/level here (PNG view instead). */
  async showSlice(index) {
    this.index = index;
    const ticket = ++this.ticket;
    this.setStatus("viewer.loading");
    try {
      const frame = await this.fetchFrame(this.slices[index]);
      if (ticket !== this.ticket) return;
      this.frame = frame;
      this.modality ||= frame.modality;
      if (this.preset !== "custom" || !this.window) this.window = presetWindow(this.preset, frame, this.modality);
      this.setStatus(null);
      this.draw();
    } catch (error) {
      if (ticket !== this.ticket) return;
      if (!this.frame) this.onUnavailable?.(error.message);
      else this.setStatus("viewer.sliceError", { message: error.message });
    }
  }

  fetchFrame({ imageId, frame }) {
    const key = `${imageId}:${frame}`;
    let pending = this.cache.get(key);
    if (pending) this.cache.delete(key); // re-inserted below: the Map's order is the least recently used first
    pending ??= getRawFrame(imageId, frame);
    pending.catch(() => this.cache.delete(key));
    this.cache.set(key, pending);
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value);
    return pending;
  }

  async loadSeries(frameCount) {
    try {
      const series = await getImageSeries(this.imageId);
      const shown = this.slices[this.index];
      const stack = sliceStack(series.images, this.imageId, frameCount);
      const same = stack.slices.findIndex((slice) => slice.imageId === shown.imageId && slice.frame === shown.frame);
      this.slices = stack.slices;
      this.index = same >= 0 ? same : stack.start;
      this.update();
    } catch {
      // the image alone still scrolls through its own frames
    }
  }

  choosePreset(key) {
    const window = this.frame ? presetWindow(key, this.frame, this.modality) : null;
    if (window) this.setWindow(window, key);
  }

  setWindow(window, preset) {
    this.window = window;
    this.preset = preset;
    if (!this.drawPending) {
      this.drawPending = true;
      requestAnimationFrame(() => {
        this.drawPending = false;
        this.draw();
      });
    }
    this.update();
  }

  setStatus(key, params = {}) {
    this.status = key ? [key, params] : null;
    this.update();
  }

  draw() {
    const { frame, canvas } = this;
    if (!frame) return;
    if (canvas.width !== frame.width || canvas.height !== frame.height) {
      Object.assign(canvas, { width: frame.width, height: frame.height });
    }
    const invert = (frame.photometric === "MONOCHROME1") !== this.invert;
    this.pixels = windowedRgba(frame.values, { ...this.window, fn: frame.voiLutFunction, invert }, this.pixels);
    canvas.getContext("2d").putImageData(new ImageData(this.pixels, frame.width, frame.height), 0, 0);
    canvas.classList.toggle("is-small", frame.width < 256); // tiny images: show pixels, not blur
    const shown = { imageId: this.slices[this.index].imageId, frame: frame.frame, renders: ++this.renders };
    Object.assign(canvas.dataset, shown); // read by the browser tests
    this.update();
  }

  /** Bring the numbers, preset, slider and texts up to date with the state. */
  update() {
    const controls = this.controls;
    if (!controls) return;
    const count = this.slices.length;
    const position = t("viewer.sliceOf", { i: this.index + 1, n: count });
    if (this.window) {
      for (const field of ["width", "center"]) {
        if (document.activeElement !== controls[field]) controls[field].value = formatWindowNumber(this.window[field]);
      }
    }
    controls.preset.value = this.preset;
    controls.units.textContent = this.frame?.units ? t("viewer.units", { units: this.frame.units }) : "";
    Object.assign(controls.slider, { max: String(count), value: String(this.index + 1) });
    controls.slider.setAttribute("aria-valuetext", position);
    controls.sliceText.textContent = position;
    controls.sliceRow.hidden = count < 2;
    controls.status.textContent = this.status ? t(...this.status) : "";
    this.canvas.setAttribute("aria-label", t("viewer.canvas", {
      id: this.slices[this.index].imageId, i: this.index + 1, n: count,
      width: this.window ? formatWindowNumber(this.window.width) : "–",
      level: this.window ? formatWindowNumber(this.window.center) : "–",
    }));
  }
}

function labelled(key, control) {
  return element("label", { className: "viewer-field" }, [element("span", { text: t(key) }), control]);
}
