"""Exports: a teaching set as a zip (images, FHIR Bundle, CSV index) and result lists as CSV.

Everything exported comes from the de-identified repository: stored PNGs, de-identified
DICOM files, pseudonymous ids and remapped UIDs.
"""
from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from pathlib import Path

from browser.models import TeachingCase, TeachingSet
from browser.teaching import shown_cases
from cbir.errors import CbirError
from ingest.storage import media_path

CASE_COLUMNS = ["position", "image_id", "file", "label", "modality", "body_part", "dataset", "study_uid",
                "series_uid", "sop_uid", "teaching_note", "key_findings"]
RESULT_COLUMNS = ["rank", "id", "distance", "score", "label", "modality", "body_part", "dataset"]
DCM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"


def export_teaching_set_zip(teaching_set: TeachingSet, *, image_format: str = "png") -> bytes:
    """Zip of images/ (PNG, or DICOM where a de-identified DICOM exists), cases.csv and bundle.json."""
    cases = list(shown_cases(teaching_set).select_related("image__series__study__dataset"))
    files = [case_file(case, number, image_format) for number, case in enumerate(cases, 1)]
    check_export_size([path for _, path in files], image_format)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in files:
            archive.write(path, name)
        names = [name for name, _ in files]
        archive.writestr("cases.csv", cases_csv(cases, names))
        archive.writestr("bundle.json", fhir_bundle_json(teaching_set, cases))
        archive.writestr("README.txt", f"Teaching set: {teaching_set.title}\n{teaching_set.description}\n"
                                       f"{len(cases)} de-identified cases. Research and teaching use only.\n")
    return buffer.getvalue()


def check_export_size(paths: list, image_format: str) -> None:
    """The zip is built in memory: refuse one whose files add up to more than MAX_EXPORT_BYTES."""
    from django.conf import settings

    total, limit = sum(path.stat().st_size for path in paths), settings.MAX_EXPORT_BYTES
    if total > limit:
        hint = "export as PNG, or " if image_format == "dicom" else ""
        raise CbirError(f"this export would hold {total // 2**20} MiB of images, over the limit of "
                        f"{limit // 2**20} MiB (CBIR_MAX_EXPORT_BYTES): {hint}split the set")


def case_file(case: TeachingCase, number: int, image_format: str) -> tuple[str, Path]:
    """(name in the zip, file) of the case's image: images/NNN_ID.(dcm|png), NNN its 1-based place."""
    image = case.image
    if image_format == "dicom" and image.dicom_path and media_path(image.dicom_path).is_file():
        name, path = f"images/{number:03d}_{image.pk}.dcm", media_path(image.dicom_path)
    else:
        name, path = f"images/{number:03d}_{image.pk}.png", media_path(image.pixels_path)
    if not path.is_file():  # an export with a silent gap would mislead its students
        raise CbirError(f"case {number} (image {image.pk}): its image file is missing from storage; "
                        "no export was made")
    return name, path


def cases_csv(cases: list[TeachingCase], names: list[str]) -> str:
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=CASE_COLUMNS)
    writer.writeheader()
    for number, (case, name) in enumerate(zip(cases, names), 1):
        image, study = case.image, case.image.series.study
        writer.writerow({"position": number, "image_id": image.pk, "file": name, "label": spreadsheet_safe(image.label),
                         "modality": image.modality, "body_part": image.body_part, "dataset": study.dataset.name,
                         "study_uid": study.study_uid, "series_uid": image.series.series_uid, "sop_uid": image.sop_uid,
                         "teaching_note": spreadsheet_safe(case.teaching_note),
                         "key_findings": spreadsheet_safe(case.key_findings)})
    return output.getvalue()


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is quoted with a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def fhir_bundle_json(teaching_set: TeachingSet, cases: list[TeachingCase]) -> str:
    """A FHIR R4 'collection' Bundle with one ImagingStudy per case, validated by fhir.resources."""
    from fhir.resources.R4B.bundle import Bundle

    entries = [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": imaging_study_resource(case)} for case in cases]
    bundle = Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries,
                                    "identifier": {"system": "urn:cbir:teaching-set", "value": str(teaching_set.pk)}})
    return json.dumps(json.loads(bundle.model_dump_json()), indent=2)


def imaging_study_resource(case: TeachingCase) -> dict:
    image, series, study = case.image, case.image.series, case.image.series.study
    instance = {"uid": image.sop_uid, "sopClass": {"system": "urn:ietf:rfc:3986",
                                                   "code": f"urn:oid:{image.metadata.get('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7')}"}}
    resource = {
        "resourceType": "ImagingStudy", "status": "available",
        "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{study.study_uid}"}],
        "subject": {"display": study.patient_pseudonym or "unknown (de-identified)"},
        "series": [{"uid": series.series_uid, "modality": {"system": DCM_SYSTEM, "code": image.modality or "OT"},
                    "instance": [instance]}],
        "note": [{"text": text} for text in (case.teaching_note, f"Key findings: {case.key_findings}") if text.strip()
                 and text.strip() != "Key findings:"],
    }
    if image.label:
        resource["description"] = image.label
    return resource


def results_csv(results: list[dict]) -> str:
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=RESULT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in results)
    return output.getvalue()
