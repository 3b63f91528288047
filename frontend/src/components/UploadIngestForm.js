// The curators' upload form: PNG, JPEG or DICOM files into the repository, with what happened to each file.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { button, element } from "./dom.js";

const ACCEPT = "image/png,image/jpeg,.png,.jpg,.jpeg,.dcm,.dicom,application/dicom";
// The optional fields the upload API takes, applied to every file of one upload.
const FIELDS = [["dataset", "ingest-dataset", "curation.uploadDataset"], ["label", "ingest-label", "curation.uploadLabel"],
                ["modality", "ingest-modality", "curation.uploadModality"], ["body_part", "ingest-body-part", "curation.uploadBodyPart"]];

/** The line under one file: ingested, duplicate, quarantined (with why) or rejected (with why). */
function outcomeText(outcome) {
  const params = { id: outcome.image_id, reason: outcome.reason || t("value.none") };
  const key = { stored: "curation.outcomeStored", present: "curation.outcomePresent",
                quarantined: "curation.outcomeQuarantined", refused: "curation.outcomeRefused" }[outcome.status];
  return key ? t(key, params) : outcome.status;
}

function outcomeItem(outcome) {
  return element("li", { className: `upload-outcome is-${outcome.status}`, attrs: { "data-status": outcome.status, "data-name": outcome.name } },
                 [element("strong", { text: outcome.name }), element("span", { text: outcomeText(outcome) })]);
}

export class UploadIngestForm {
  /** onUploaded runs after an upload, e.g. to list new quarantined images and rejections. */
  constructor({ onUploaded }) {
    this.onUploaded = onUploaded;
    this.outcomes = null;
    this.error = null;
    this.isBusy = false;
    // Inputs are made once and moved into each render, so a language switch keeps what was chosen.
    this.files = element("input", { attrs: { type: "file", id: "ingest-files", multiple: "", accept: ACCEPT } });
    this.inputs = Object.fromEntries(FIELDS.map(([field, id]) => [field, element("input", { attrs: { type: "text", id, autocomplete: "off" } })]));
    this.inputs.dataset.setAttribute("placeholder", "uploads"); // the dataset input shows the server's default
    this.element = element("section", { className: "panel-section upload-ingest", attrs: { "aria-labelledby": "upload-ingest-heading" } });
    this.render();
  }

  render() {
    const label = (id, key) => element("label", { text: t(key), attrs: { for: id } });
    const fields = FIELDS.map(([field, id, key]) => element("div", { className: "field" }, [label(id, key), this.inputs[field]]));
    const form = element("form", { className: "upload-ingest-form", attrs: { novalidate: "" } }, [
      element("div", { className: "field" }, [label("ingest-files", "curation.uploadFiles"), this.files]),
      element("div", { className: "upload-ingest-fields" }, fields),
      button(t(this.isBusy ? "curation.uploading" : "curation.uploadSubmit"),
             { className: "button primary", attrs: { type: "submit", id: "ingest-submit", ...(this.isBusy ? { disabled: "" } : {}) } }),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.element.replaceChildren(element("h3", { text: t("curation.upload"), attrs: { id: "upload-ingest-heading" } }), form,
                                 ...this.results());
  }

  results() {
    if (this.error) return [element("p", { className: "panel-error", attrs: { role: "alert" }, text: this.error })];
    if (!this.outcomes) return [];
    return [element("ul", { className: "curation-list upload-outcomes", attrs: { id: "ingest-outcomes", "aria-live": "polite" } },
                    this.outcomes.map(outcomeItem))];
  }

  async submit() {
    const files = [...this.files.files];
    if (!files.length) {
      this.show(null, t("curation.uploadNoFiles"));
      return;
    }
    const values = Object.fromEntries(FIELDS.map(([field]) => [field, this.inputs[field].value.trim()]));
    this.isBusy = true;
    this.render();
    try {
      this.show(await api.uploadToRepository(files, values), null);
      this.files.value = "";
      this.onUploaded?.();
    } catch (error) {
      this.show(null, t("workspace.error", { message: error.message }));
    }
  }

  show(outcomes, error) {
    this.isBusy = false;
    this.outcomes = outcomes;
    this.error = error;
    this.render();
  }
}
