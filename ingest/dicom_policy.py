"""What the DICOM receivers (C-STORE SCP, STOW-RS) accept, and the status codes of their refusals."""
from __future__ import annotations

import io

import pydicom
from pynetdicom import sop_class as sop

from ingest.errors import ImageTooLarge, NotAnImage, UnsupportedTransferSyntax

SUCCESS = 0x0000
PROCESSING_FAILURE = 0x0110
SOP_CLASS_NOT_SUPPORTED = 0x0122
OUT_OF_RESOURCES = 0xA700
DATASET_DOES_NOT_MATCH_SOP_CLASS = 0xA900
CANNOT_UNDERSTAND = 0xC000
TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122  # PS3.18 10.5.3; in C-STORE's 0xCxxx "cannot understand" range
STUDY_UID_MISMATCH = 0xC409  # STOW-RS to /studies/{uid} with an instance of another study (PS3.18, 10.5.3)

# Retired but still sent by older ultrasound machines; pynetdicom does not list them among its storage contexts.
RETIRED_ULTRASOUND_CLASSES = ("1.2.840.10008.5.1.4.1.1.6", "1.2.840.10008.5.1.4.1.1.3")
RETIRED_ULTRASOUND_KEYWORDS = ("UltrasoundImageStorageRetired", "UltrasoundMultiFrameImageStorageRetired")
IMAGE_STORAGE_CLASSES = frozenset((*(str(uid) for uid in (
    sop.CTImageStorage, sop.EnhancedCTImageStorage, sop.MRImageStorage, sop.EnhancedMRImageStorage,
    sop.ComputedRadiographyImageStorage, sop.DigitalXRayImageStorageForPresentation,
    sop.DigitalXRayImageStorageForProcessing, sop.DigitalMammographyXRayImageStorageForPresentation,
    sop.DigitalMammographyXRayImageStorageForProcessing, sop.UltrasoundImageStorage,
    sop.UltrasoundMultiFrameImageStorage, sop.SecondaryCaptureImageStorage,
    sop.MultiFrameGrayscaleByteSecondaryCaptureImageStorage, sop.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    sop.MultiFrameTrueColorSecondaryCaptureImageStorage, sop.MultiFrameSingleBitSecondaryCaptureImageStorage,
    sop.NuclearMedicineImageStorage, sop.PositronEmissionTomographyImageStorage,
    sop.XRayAngiographicImageStorage, sop.XRayRadiofluoroscopicImageStorage,
    # enhanced, legacy-converted and newer image classes: the same pixels in multi-frame objects
    sop.EnhancedXAImageStorage, sop.EnhancedXRFImageStorage, sop.EnhancedPETImageStorage, sop.EnhancedMRColorImageStorage,
    sop.LegacyConvertedEnhancedCTImageStorage, sop.LegacyConvertedEnhancedMRImageStorage,
    sop.LegacyConvertedEnhancedPETImageStorage, sop.EnhancedUSVolumeStorage,
    sop.DigitalIntraOralXRayImageStorageForPresentation, sop.DigitalIntraOralXRayImageStorageForProcessing,
    sop.BreastTomosynthesisImageStorage, sop.BreastProjectionXRayImageStorageForPresentation,
    sop.BreastProjectionXRayImageStorageForProcessing, sop.XRay3DAngiographicImageStorage,
    sop.XRay3DCraniofacialImageStorage,
    # visible light: photographs, endoscopy, microscopy, ophthalmology (quarantined for review: faces, labels)
    sop.VLPhotographicImageStorage, sop.VLEndoscopicImageStorage, sop.VLMicroscopicImageStorage,
    sop.VLSlideCoordinatesMicroscopicImageStorage, sop.VLWholeSlideMicroscopyImageStorage,
    sop.OphthalmicPhotography8BitImageStorage, sop.OphthalmicPhotography16BitImageStorage,
    sop.DermoscopicPhotographyImageStorage,
)), *RETIRED_ULTRASOUND_CLASSES))


def failure_status(exc: Exception) -> int:
    """The C-STORE / STOW-RS failure code for an error the ingestion service raised."""
    if isinstance(exc, NotAnImage):
        return DATASET_DOES_NOT_MATCH_SOP_CLASS
    if isinstance(exc, (OSError, ImageTooLarge)):  # our storage or our size limit, not the sender's object
        return OUT_OF_RESOURCES
    if isinstance(exc, UnsupportedTransferSyntax):
        return TRANSFER_SYNTAX_NOT_SUPPORTED
    return CANNOT_UNDERSTAND


def peek_uids(data: bytes, *keywords: str) -> list[str]:
    """The named UIDs from a DICOM object's header, before de-identification; '' for each when unreadable."""
    try:
        dataset = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True, specific_tags=list(keywords))
        return [str(dataset.get(keyword, "") or "") for keyword in keywords]
    except Exception:  # anything unreadable is refused later with a reason
        return ["" for _ in keywords]
