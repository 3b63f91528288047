"""Copy report summaries and codes onto a study's images so keyword search and filters see them.

Each image gets one `[report N] ...` line per linked report and one `[codes] ...` line in
`notes`, code display names in `labels`, and `metadata["codes"]` / `metadata["report_ids"]`.
Re-running replaces those lines instead of appending, so it is idempotent.
"""
from __future__ import annotations

import re

from ingest.models import CodedConcept, Image, Report, Study

SUMMARY_CHARS = 400
_MANAGED_LINE = re.compile(r"^\[(?:report \d+|codes)\] .*$\n?", re.MULTILINE)


def annotate_study_images(study: Study) -> int:
    """Rewrite the report/code annotations of every image of `study`; returns how many changed."""
    reports = list(Report.objects.filter(study=study).order_by("id"))
    codes = list(CodedConcept.objects.filter(study=study).order_by("id"))
    if not reports and not codes:
        return 0
    changed = 0
    for image in Image.objects.filter(series__study=study):
        notes, labels, metadata = annotated_fields(image.notes, image.labels, image.metadata,
                                                   report_lines(reports), code_dicts(codes))
        if (notes, labels, metadata) != (image.notes, image.labels, image.metadata):
            image.notes, image.labels, image.metadata = notes, labels, metadata
            image.save(update_fields=["notes", "labels", "metadata"])  # post_save feeds the keyword index
            changed += 1
    return changed


def report_lines(reports: list[Report]) -> list[tuple[int, str]]:
    return [(report.pk, f"{report.status}: {report.impression or report.text}") for report in reports]


def code_dicts(codes: list[CodedConcept]) -> list[dict]:
    unique = {(code.system, code.code): {"system": code.system, "code": code.code, "display": code.display,
                                         "role": code.role} for code in codes}
    return list(unique.values())


def annotated_fields(notes: str, labels: list, metadata: dict, reports: list[tuple[int, str]],
                     codes: list[dict]) -> tuple[str, list, dict]:
    """Pure: the image's notes, labels and metadata with the given reports and codes applied."""
    kept = _MANAGED_LINE.sub("", notes or "").rstrip("\n")
    lines = [f"[report {report_id}] {_one_line(text)}" for report_id, text in reports]
    displays = [code["display"] for code in codes if code["display"]]
    if displays:
        lines.append("[codes] " + _one_line("; ".join(dict.fromkeys(displays))))
    new_notes = "\n".join(filter(None, [kept, *lines]))
    known = {str(label).lower() for label in labels or []}
    new_labels = list(labels or []) + [d for d in dict.fromkeys(displays) if d.lower() not in known]
    new_metadata = dict(metadata or {}) | {"codes": codes, "report_ids": [report_id for report_id, _ in reports]}
    return new_notes, new_labels, new_metadata


def _one_line(text: str) -> str:
    return " ".join(text.split())[:SUMMARY_CHARS]
