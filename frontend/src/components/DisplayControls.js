// Brightness, contrast and invert for the panel's image (a display aid on the 8-bit PNG, not DICOM window/level).
import { t } from "../i18n.js";

export const DEFAULT_DISPLAY = Object.freeze({ brightness: 100, contrast: 100, invert: false });

export function displayFilter({ brightness, contrast, invert }) {
  return `brightness(${brightness}%) contrast(${contrast}%)${invert ? " invert(1)" : ""}`;
}

function slider(id, labelKey, value, min, max, onInput) {
  const label = document.createElement("label");
  label.className = "display-control";
  const text = document.createElement("span");
  text.textContent = t(labelKey);
  const input = document.createElement("input");
  Object.assign(input, { type: "range", id, min: String(min), max: String(max), step: "5", value: String(value) });
  input.addEventListener("input", () => onInput(Number(input.value)));
  label.append(text, input);
  return label;
}

/** The controls; settings is mutated in place and onChange(settings) runs after each change. */
export function displayControls(settings, onChange) {
  const box = document.createElement("div");
  box.className = "display-controls";
  const update = (changes) => {
    Object.assign(settings, changes);
    onChange(settings);
  };
  const invertLabel = document.createElement("label");
  invertLabel.className = "display-control display-invert";
  const invert = document.createElement("input");
  Object.assign(invert, { type: "checkbox", id: "display-invert", checked: settings.invert });
  invert.addEventListener("change", () => update({ invert: invert.checked }));
  const invertText = document.createElement("span");
  invertText.textContent = t("display.invert");
  invertLabel.append(invert, invertText);
  const reset = document.createElement("button");
  Object.assign(reset, { type: "button", className: "button secondary small", textContent: t("display.reset") });
  reset.addEventListener("click", () => {
    update({ ...DEFAULT_DISPLAY });
    box.replaceWith(displayControls(settings, onChange));
  });
  box.append(
    slider("display-brightness", "display.brightness", settings.brightness, 20, 300, (value) => update({ brightness: value })),
    slider("display-contrast", "display.contrast", settings.contrast, 20, 400, (value) => update({ contrast: value })),
    invertLabel, reset,
  );
  return box;
}
