"""Which images may show identity in their pixels (burned-in text, faces) and must wait for a human."""
from __future__ import annotations

import pydicom

# Modalities whose images routinely carry burned-in text (patient name, dates, institution):
# ultrasound screens, secondary captures and scanned documents, photographs, endoscopy video
# stills, microscopy slide labels. Trusted only when the object explicitly says NO.
BURNED_IN_TEXT_MODALITIES = frozenset({"US", "IVUS", "SC", "OT", "DOC", "XC", "ES", "GM", "SM", "OP"})
# Secondary Capture Image Storage and its multi-frame variants are screenshots by definition.
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
# Photographs (VL photographic, dermoscopic) and external-camera images may show a face whatever their
# BurnedInAnnotation says; only RecognizableVisualFeatures NO lets them through without review.
PHOTOGRAPHIC_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.77.1.4", "1.2.840.10008.5.1.4.1.1.77.1.7"})


def burned_in_reason(dataset: pydicom.Dataset) -> str:
    """Why the pixels may show identifying text ('' when they should not)."""
    if str(dataset.get("RecognizableVisualFeatures", "") or "").strip().upper() == "YES":
        return "RecognizableVisualFeatures is YES: the pixels may show a recognizable face"
    faces = str(dataset.get("RecognizableVisualFeatures", "") or "").strip().upper()
    photographic = (str(dataset.get("SOPClassUID", "")) in PHOTOGRAPHIC_CLASSES
                    or str(dataset.get("Modality", "") or "").strip().upper() == "XC")
    if photographic and faces != "NO":
        return "a photograph without RecognizableVisualFeatures NO: it may show a recognizable face"
    flag = str(dataset.get("BurnedInAnnotation", "") or "").strip().upper()
    if flag == "YES":
        return "BurnedInAnnotation is YES: the pixels carry identifying text"
    if flag == "NO":
        return ""
    modality = str(dataset.get("Modality", "") or "").strip().upper()
    if modality in BURNED_IN_TEXT_MODALITIES:
        return f"modality {modality} often has burned-in text and BurnedInAnnotation is not NO"
    if str(dataset.get("SOPClassUID", "")).startswith(SECONDARY_CAPTURE_PREFIX):
        return "secondary capture (screenshot) without BurnedInAnnotation NO: may show burned-in text"
    return ""
