// One teaching set: its ordered cases with notes; edit controls only when the user may edit it.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { errorText } from "../errors.js";
import { button, element } from "./dom.js";
import { detailsForm, sharingFieldset, sharingSummary } from "./TeachingSetEditor.js";

function caseCard(set, teachingCase, index, handlers) {
  const n = index + 1;
  const label = teachingCase.label || `#${teachingCase.image_id}`;
  const image = element("img", { attrs: { src: teachingCase.thumbnail_url, loading: "lazy",
                                         alt: t("teaching.caseImageAlt", { n, id: teachingCase.image_id, label }) } });
  const heading = element("h4", { text: t("teaching.caseTitle", { n, label }) });
  const meta = element("p", { className: "case-meta", text: [teachingCase.modality, `#${teachingCase.image_id}`].filter(Boolean).join(" · ") });
  const body = element("div", { className: "case-body" }, [heading, meta]);
  if (set.can_edit) {
    body.append(...editableNotes(teachingCase, handlers), caseButtons(set, teachingCase, index, handlers));
  } else {
    body.append(readOnlyNote("teaching.note", teachingCase.teaching_note, "case-note"),
                readOnlyNote("teaching.findings", teachingCase.key_findings, "case-findings"));
  }
  return element("li", { className: "case-card", attrs: { "data-case-id": teachingCase.id, "data-image-id": teachingCase.image_id } },
                 [element("div", { className: "case-thumb" }, [image]), body]);
}

function readOnlyNote(titleKey, text, className) {
  return element("div", { className: `case-text ${className}` }, [
    element("strong", { text: t(titleKey) }), element("p", { text: text || t("value.none") })]);
}

function editableNotes(teachingCase, handlers) {
  const typed = handlers.typedNotes(teachingCase.id);
  const note = textArea(`case-note-${teachingCase.id}`, "teaching.note", typed.teachingNote ?? teachingCase.teaching_note, "case-note-input");
  const findings = textArea(`case-findings-${teachingCase.id}`, "teaching.findings", typed.keyFindings ?? teachingCase.key_findings, "case-findings-input");
  note.field.addEventListener("input", () => handlers.onType(teachingCase.id, { teachingNote: note.field.value }));
  findings.field.addEventListener("input", () => handlers.onType(teachingCase.id, { keyFindings: findings.field.value }));
  const save = button(t("teaching.save"), { className: "button primary case-save", onClick: () =>
    handlers.onAnnotate(teachingCase, { teachingNote: note.field.value, keyFindings: findings.field.value }) });
  return [note.wrapper, findings.wrapper, save];
}

function textArea(id, labelKey, value, className) {
  const field = element("textarea", { className, attrs: { id, rows: "2" } });
  field.value = value || "";
  const wrapper = element("div", { className: "field" }, [element("label", { text: t(labelKey), attrs: { for: id } }), field]);
  return { wrapper, field };
}

function caseButtons(set, teachingCase, index, handlers) {
  const last = set.cases.length - 1;
  return element("div", { className: "case-actions" }, [
    button(t("teaching.moveUp"), { className: "button secondary case-up", attrs: index === 0 ? { disabled: "" } : {},
                                   onClick: () => handlers.onMove(index, index - 1) }),
    button(t("teaching.moveDown"), { className: "button secondary case-down", attrs: index === last ? { disabled: "" } : {},
                                     onClick: () => handlers.onMove(index, index + 1) }),
    button(t("teaching.remove"), { className: "button secondary case-remove", onClick: () => handlers.onRemove(teachingCase) }),
  ]);
}

export class TeachingSetPage {
  constructor(container, { onChanged }) {
    this.container = container;
    this.onChanged = onChanged;
    this.set = null;
    this.message = null;
    this.draft = null; // title and description as typed, kept while the server refuses them
    // Notes typed but not yet saved, by case id: any redraw (a case added from the graph, a reload) keeps them.
    this.typedNotes = new Map();
    this.groups = null; // the groups the set may be shared with, listed once for an editor
    this.groupsError = null;
    this.groupsRequest = null;
  }

  async open(setId) {
    try {
      this.show(await api.getTeachingSet(setId));
    } catch (error) {
      this.set = null;
      this.container.replaceChildren(element("p", { className: "panel-error", attrs: { role: "alert" },
                                                    text: t("workspace.error", { message: errorText(error) }) }));
    }
  }

  show(set, message = null) {
    if (set.id !== this.set?.id) this.typedNotes.clear();
    this.set = set;
    this.message = message;
    this.draft = null;
    this.render();
    if (set.can_edit) this.groupsRequest ??= this.loadGroups();
  }

  /** The groups arrive after the set: only the sharing fieldset is redrawn, so notes being typed are kept. */
  async loadGroups() {
    try {
      this.groups = await api.listShareableGroups();
      this.groupsError = null;
    } catch (error) {
      this.groupsError = errorText(error);
    }
    if (this.set?.can_edit) this.container.querySelector("#set-sharing")?.replaceWith(this.sharingControls(this.set));
  }

  render() {
    const set = this.set;
    if (!set) {
      this.container.replaceChildren(element("p", { className: "panel-note", text: t("teaching.choose") }));
      return;
    }
    this.container.dataset.setId = set.id;
    this.container.dataset.canEdit = String(set.can_edit);
    const handlers = {
      onAnnotate: (teachingCase, notes) => this.annotate(teachingCase, notes),
      onType: (caseId, notes) => this.typedNotes.set(caseId, { ...this.typedNotes.get(caseId), ...notes }),
      typedNotes: (caseId) => this.typedNotes.get(caseId) || {},
      onMove: (from, to) => this.move(from, to),
      onRemove: (teachingCase) => this.remove(teachingCase),
    };
    const cases = set.cases.length
      ? element("ol", { className: "case-list" }, set.cases.map((c, index) => caseCard(set, c, index, handlers)))
      : element("p", { className: "panel-note", text: t("teaching.noCases") });
    this.container.replaceChildren(...[
      this.header(set),
      this.message ? element("p", { className: `workspace-message is-${this.message.state}`, attrs: { role: "status" },
                                    text: this.message.text }) : null,
      cases,
    ].filter(Boolean));
  }

  header(set) {
    const title = element("h3", { className: "set-title", text: set.title, attrs: { id: "teaching-set-title" } });
    const meta = element("p", { className: "case-meta", text: `${t("teaching.owner", { owner: set.owner })} · ${t("teaching.cases", { n: set.cases.length })}` });
    const children = [title, meta, sharingSummary(set)];
    if (set.description) children.push(element("p", { className: "set-description", text: set.description }));
    if (set.can_edit) children.push(detailsForm(this.draft || set, (values) => this.saveDetails(values)), this.editorControls(set));
    else children.push(element("p", { className: "panel-note read-only-note", text: t("teaching.readOnly", { owner: set.owner }) }));
    return element("header", { className: "set-header" }, children);
  }

  sharingControls(set) {
    return sharingFieldset(set, { groups: this.groups, groupsError: this.groupsError }, (changes) => this.update(changes));
  }

  editorControls(set) {
    const sharing = this.sharingControls(set);
    const exportLink = (format, key) => button(t(key), { className: "button secondary", attrs: { id: `export-${format}` },
                                                       onClick: () => this.exportSet(set, format) });
    const remove = button(t("teaching.deleteSet"), { className: "button secondary danger", attrs: { id: "delete-set" },
                                                    onClick: () => this.deleteSet() });
    return element("div", { className: "set-editor" }, [sharing, element("div", { className: "set-controls" }, [
      exportLink("png", "teaching.exportPng"), exportLink("dicom", "teaching.exportDicom"), remove,
    ])]);
  }

  exportSet(set, format) {
    return this.run(() => api.download(api.teachingSetExportUrl(set.id, format)));
  }

  async run(action, successText = null) {
    try {
      await action();
      this.message = successText ? { state: "ready", text: successText } : null;
    } catch (error) {
      this.message = { state: "error", text: t("workspace.error", { message: errorText(error) }) };
    }
    this.render();
  }

  async applyChanges(changes) {
    this.set = await api.updateTeachingSet(this.set.id, changes);
    this.onChanged?.();
  }

  update(changes) {
    return this.run(() => this.applyChanges(changes));
  }

  /** PATCH title and description; on a refusal the typed text stays in the form next to the server's reason. */
  saveDetails(values) {
    this.draft = values;
    return this.run(async () => {
      await this.applyChanges(values);
      this.draft = null;
    }, t("teaching.detailsSaved"));
  }

  annotate(teachingCase, notes) {
    return this.run(async () => {
      const saved = await api.annotateTeachingCase(this.set.id, teachingCase.id, notes);
      this.typedNotes.delete(saved.id);
      this.set.cases = this.set.cases.map((c) => (c.id === saved.id ? saved : c));
    }, t("teaching.saved"));
  }

  move(from, to) {
    const ids = this.set.cases.map((c) => c.id);
    [ids[from], ids[to]] = [ids[to], ids[from]];
    return this.run(async () => {
      this.set.cases = await api.reorderTeachingCases(this.set.id, ids);
    });
  }

  remove(teachingCase) {
    return this.run(async () => {
      await api.removeTeachingCase(this.set.id, teachingCase.id);
      this.set.cases = this.set.cases.filter((c) => c.id !== teachingCase.id);
      this.onChanged?.();
    });
  }

  async deleteSet() {
    if (!window.confirm(t("teaching.confirmDelete", { title: this.set.title }))) return;
    await this.run(async () => {
      await api.deleteTeachingSet(this.set.id);
      this.set = null;
      this.onChanged?.();
    });
  }
}
