// The one-line status under the toolbar: progress, result counts and errors.
import { t } from "../i18n.js";

export class StatusLine {
  constructor(element) {
    this.element = element;
    this.last = { state: "idle", key: "status.idle", params: {} };
  }

  show(state, key, params = {}) {
    this.last = { state, key, params };
    this.element.dataset.state = state;
    this.element.textContent = t(key, params);
  }

  idle() {
    this.show("idle", "status.idle");
  }

  busy(key, params) {
    this.show("loading", key, params);
  }

  done(key, params) {
    this.show("ready", key, params);
  }

  error(message) {
    this.show("error", "status.error", { message });
  }

  /** Re-render the last message in the current language. */
  refresh() {
    this.show(this.last.state, this.last.key, this.last.params);
  }
}
