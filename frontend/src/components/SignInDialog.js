// The sign-in dialog shown when the API answers 401 (no session yet, or it expired).
import { t } from "../i18n.js";
import { errorText } from "../errors.js";

export class SignInDialog {
  constructor({ onSignIn }) {
    this.onSignIn = onSignIn;
    this.dialog = document.createElement("dialog");
    this.dialog.id = "sign-in";
    this.dialog.className = "sign-in-dialog";
    this.dialog.setAttribute("aria-labelledby", "sign-in-title");
    this.dialog.innerHTML = `
      <form method="dialog" class="sign-in-form" novalidate>
        <h2 id="sign-in-title"></h2>
        <p class="sign-in-hint"></p>
        <label for="sign-in-username" class="sign-in-label" data-field="username"></label>
        <input id="sign-in-username" name="username" autocomplete="username" required />
        <label for="sign-in-password" class="sign-in-label" data-field="password"></label>
        <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required />
        <p class="sign-in-error" role="alert"></p>
        <button type="submit" id="sign-in-submit" class="button primary wide"></button>
      </form>`;
    document.body.append(this.dialog);
    this.form = this.dialog.querySelector("form");
    this.error = this.dialog.querySelector(".sign-in-error");
    this.dialog.addEventListener("cancel", (event) => event.preventDefault()); // nothing works signed out
    this.form.addEventListener("submit", (event) => this.submit(event));
    this.translate();
  }

  translate() {
    this.dialog.querySelector("#sign-in-title").textContent = t("signin.title");
    this.dialog.querySelector(".sign-in-hint").textContent = t("signin.hint");
    this.dialog.querySelector('[data-field="username"]').textContent = t("signin.username");
    this.dialog.querySelector('[data-field="password"]').textContent = t("signin.password");
    this.dialog.querySelector("#sign-in-submit").textContent = t("signin.submit");
  }

  open() {
    this.error.textContent = "";
    if (!this.dialog.open) this.dialog.showModal();
    this.form.elements.username.focus();
  }

  async submit(event) {
    event.preventDefault();
    const { username, password } = this.form.elements;
    this.error.textContent = "";
    try {
      await this.onSignIn(username.value.trim(), password.value);
      password.value = "";
      this.dialog.close();
    } catch (error) {
      this.error.textContent = error.status === 401 ? t("signin.wrong") : t("status.error", { message: errorText(error) });
    }
  }
}
