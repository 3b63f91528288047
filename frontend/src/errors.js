import { t } from "./i18n.js";

/** What to tell the user about a failed request: the server's message, or that the network failed. */
export function errorText(error) {
  return error.status === 0 ? t("status.network") : error.message;
}
