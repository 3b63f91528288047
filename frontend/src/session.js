// What the signed-in user may do: the capabilities of GET /api/auth/me/, read once after sign-in.

let capabilities = new Set();
const listeners = new Set();

export function setCapabilities(list) {
  capabilities = new Set(list || []);
  for (const listener of listeners) listener();
}

/** browse, teach, research, curate or administer. */
export function can(capability) {
  return capabilities.has(capability);
}

export function onCapabilitiesChange(listener) {
  listeners.add(listener);
}
