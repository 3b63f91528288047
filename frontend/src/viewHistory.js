// Snapshots of the views the user has seen, so "Back" restores one without asking the server again.

export class ViewHistory {
  constructor(limit = 50) {
    this.limit = limit;
    this.stack = [];
  }

  push(view) {
    this.stack.push(view);
    if (this.stack.length > this.limit) this.stack.shift();
  }

  /** The view before the current one, which becomes current; null when there is none. */
  back() {
    if (this.stack.length < 2) return null;
    this.stack.pop();
    return this.stack[this.stack.length - 1];
  }

  get canGoBack() {
    return this.stack.length > 1;
  }

  get current() {
    return this.stack[this.stack.length - 1] ?? null;
  }
}
