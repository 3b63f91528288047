// The owner's controls of a teaching set (title, description, sharing) and the line saying whom it is shared with.
import { t } from "../i18n.js";
import { button, element } from "./dom.js";

function labelledField(id, labelKey, control) {
  return element("div", { className: "field" }, [element("label", { text: t(labelKey), attrs: { for: id } }), control]);
}

/**
 * Title and description, saved together; values may be a draft that failed to save, so the typed text
 * survives the re-render. The title is not checked here: the server's answer to an empty one is shown.
 */
export function detailsForm(values, onSave) {
  const title = element("input", { attrs: { type: "text", id: "set-title-input", maxlength: "200", autocomplete: "off" } });
  title.value = values.title || "";
  const description = element("textarea", { attrs: { id: "set-description-input", rows: "3" } });
  description.value = values.description || "";
  const form = element("form", { className: "set-details-form", attrs: { novalidate: "", "aria-labelledby": "set-details-heading" } }, [
    element("h4", { text: t("teaching.details"), attrs: { id: "set-details-heading" } }),
    labelledField("set-title-input", "teaching.titleLabel", title),
    labelledField("set-description-input", "teaching.descriptionLabel", description),
    button(t("teaching.saveDetails"), { className: "button primary", attrs: { type: "submit", id: "save-set-details" } }),
  ]);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSave({ title: title.value, description: description.value });
  });
  return form;
}

function checkbox(id, isChecked, text, attrs = {}) {
  const input = element("input", { attrs: { type: "checkbox", id, ...attrs } });
  input.checked = isChecked;
  return { input, label: element("label", { className: "toggle" }, [input, element("span", { text })]) };
}

/** The groups to offer: those the server lists, plus any the set is already shared with (e.g. set by a script). */
function groupChoices(set, groups) {
  const counts = new Map((groups || []).map((group) => [group.name, group.member_count]));
  for (const name of set.shared_with_groups || []) if (!counts.has(name)) counts.set(name, null);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function groupText(name, memberCount) {
  return memberCount == null ? name : t("teaching.groupMembers", { name, n: memberCount });
}

/**
 * "Shared with students" and one checkbox per group; onChange gets the fields to PATCH.
 * groups: [{name, member_count}], null while loading; groupsError: why they could not be listed.
 */
export function sharingFieldset(set, { groups, groupsError }, onChange) {
  const students = checkbox("share-with-students", set.is_shared_with_students, t("teaching.shared"));
  students.input.addEventListener("change", () => onChange({ is_shared_with_students: students.input.checked }));
  const choices = groupChoices(set, groups).map(([name, count], index) => ({
    name, box: checkbox(`share-group-${index}`, (set.shared_with_groups || []).includes(name), groupText(name, count),
                        { "data-group": name }) }));
  const changedGroups = () => onChange({ shared_with_groups: choices.filter((c) => c.box.input.checked).map((c) => c.name) });
  for (const choice of choices) choice.box.input.addEventListener("change", changedGroups);
  const children = [element("legend", { text: t("teaching.shareWith") }), students.label,
                    ...choices.map((choice) => choice.box.label)];
  if (groupsError) children.push(element("p", { className: "panel-error", text: t("teaching.groupsError", { message: groupsError }) }));
  else if (groups === null) children.push(element("p", { className: "panel-note", text: t("teaching.groupsLoading") }));
  else if (!choices.length) children.push(element("p", { className: "panel-note", text: t("teaching.noGroups") }));
  return element("fieldset", { className: "set-sharing", attrs: { id: "set-sharing" } }, children);
}

/** Whom the set is shared with, for everybody who sees it. */
export function sharingSummary(set) {
  const audiences = [...(set.is_shared_with_students ? [t("teaching.allStudents")] : []), ...(set.shared_with_groups || [])];
  const text = audiences.length ? t("teaching.sharedWith", { audiences: audiences.join(", ") }) : t("teaching.notShared");
  return element("p", { className: "case-meta set-shared-with", attrs: { id: "set-shared-with" }, text });
}
