// The query image box: a <label> around the file input (click or keyboard opens the picker),
// drag-and-drop, and a preview of what will be searched.
import { t } from "../i18n.js";

const PREVIEWABLE = new Set(["image/png", "image/jpeg"]);

export class UploadBox {
  constructor(box, { onFile }) {
    this.box = box;
    this.input = box.querySelector("input[type=file]");
    this.preview = box.querySelector("#upload-preview");
    this.previewImage = box.querySelector("#upload-preview-image");
    this.title = box.querySelector("#upload-title");
    this.fileName = box.querySelector("#upload-file-name");
    this.file = null;
    this.repositoryImageId = null; // set instead of file when the query is a repository image
    this.previewUrl = null;
    this.onFile = onFile;

    this.input.addEventListener("change", () => this.input.files[0] && this.setFile(this.input.files[0]));
    this.acceptDropsOn(box, () => {});
  }

  /** Let another element take dropped files too; afterDrop runs once the file is set. */
  acceptDropsOn(element, afterDrop) {
    element.addEventListener("dragover", (event) => {
      event.preventDefault();
      element.classList.add("is-dragging");
    });
    element.addEventListener("dragleave", () => element.classList.remove("is-dragging"));
    element.addEventListener("drop", (event) => {
      event.preventDefault();
      element.classList.remove("is-dragging");
      const file = event.dataTransfer?.files?.[0];
      if (!file) return;
      this.setFile(file);
      afterDrop();
    });
  }

  setFile(file) {
    this.showFile(file, PREVIEWABLE.has(file.type) ? URL.createObjectURL(file) : null);
    this.onFile?.(file);
  }

  /** Show a file as the query again (history); previewUrl is the object URL made for it before. */
  showFile(file, previewUrl) {
    this.file = file;
    this.repositoryImageId = null;
    this.showPreview(previewUrl, file.name);
  }

  /** Show a repository image as the current query (no file to upload). */
  showRepositoryImage(imageId, thumbnailUrl) {
    this.file = null;
    this.repositoryImageId = imageId;
    this.input.value = "";
    this.showPreview(thumbnailUrl, t("upload.repositoryImage", { id: imageId }));
  }

  // Object URLs are never revoked: views in the history still draw their query with them.
  showPreview(url, caption) {
    this.previewUrl = url;
    this.preview.hidden = !url;
    if (url) this.previewImage.src = url;
    this.fileName.textContent = caption;
    this.box.classList.toggle("has-file", Boolean(caption));
    this.title.dataset.i18n = caption ? "upload.replace" : "upload.title";
    this.title.textContent = t(this.title.dataset.i18n);
  }
}
