"""The de-identified image repository: datasets, studies, series, images."""
from django.db import models


class Dataset(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Study(models.Model):
    """One imaging study; identity fields hold pseudonyms, never raw identifiers."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="studies")
    study_uid = models.CharField(max_length=64, unique=True)
    accession_number = models.CharField(max_length=64, blank=True, db_index=True)
    patient_pseudonym = models.CharField(max_length=64, blank=True, db_index=True)
    study_date = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    sex = models.CharField(max_length=1, blank=True)  # M, F, O or empty
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "studies"


class Series(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_uid = models.CharField(max_length=64, unique=True)
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    body_part = models.CharField(max_length=64, blank=True, db_index=True)
    description = models.TextField(blank=True)
    number = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "series"


class Image(models.Model):
    """One stored 2D image (a DICOM instance's representative frame, or a PNG/JPEG)."""

    class Status(models.TextChoices):
        READY = "ready"
        QUARANTINED = "quarantined"

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="images")
    sop_uid = models.CharField(max_length=64, unique=True)
    content_hash = models.CharField(max_length=64, unique=True)
    source_format = models.CharField(max_length=16)  # png, jpeg, dicom
    pixels_path = models.CharField(max_length=255)  # 8-bit PNG, relative to MEDIA_ROOT
    thumbnail_path = models.CharField(max_length=255)
    dicom_path = models.CharField(max_length=255, blank=True)  # de-identified DICOM, if any
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frame_count = models.PositiveIntegerField(default=1)
    instance_number = models.IntegerField(null=True, blank=True)
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    body_part = models.CharField(max_length=64, blank=True, db_index=True)
    label = models.CharField(max_length=128, blank=True, db_index=True)
    labels = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY, db_index=True)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    @property
    def study(self) -> Study:
        return self.series.study


class Rejection(models.Model):
    """Something a receiver refused, with the reason; never holds identifying content."""

    channel = models.CharField(max_length=32, db_index=True)  # dicom-scp, stow-rs, hl7-mllp, hl7-http, fhir, folder, upload
    reason = models.TextField()
    detail = models.JSONField(default=dict, blank=True)  # e.g. SOP class, transfer syntax, message type
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Patient(models.Model):
    """A pseudonymous patient known from HL7/FHIR; no name, identifier or birth date, only age."""

    pseudonym = models.CharField(max_length=64, unique=True)
    sex = models.CharField(max_length=1, blank=True)  # M, F, O or empty
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class InboundMessage(models.Model):
    """One accepted HL7 message or FHIR resource; its keyed digest makes a re-send a no-op."""

    channel = models.CharField(max_length=16)  # hl7, fhir
    message_key = models.CharField(max_length=64, unique=True)
    message_type = models.CharField(max_length=32, blank=True)  # ORU^R01, DiagnosticReport, ...
    created_at = models.DateTimeField(auto_now_add=True)


class Order(models.Model):
    """An imaging order or announced study (HL7 ORM/OMI, FHIR ImagingStudy) awaiting or linked to images."""

    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    message = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL)
    source_key = models.CharField(max_length=64, blank=True, db_index=True)  # keyed digest of the order number
    accession_pseudonym = models.CharField(max_length=64, blank=True, db_index=True)
    study_uid = models.CharField(max_length=64, blank=True, db_index=True)  # remapped
    procedure_system = models.CharField(max_length=128, blank=True)
    procedure_code = models.CharField(max_length=64, blank=True)
    procedure_display = models.CharField(max_length=255, blank=True)
    modality = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Report(models.Model):
    """A de-identified diagnostic report; links to its Study by accession or Study Instance UID."""

    class Status(models.TextChoices):  # FHIR DiagnosticReport.status
        REGISTERED = "registered"
        PRELIMINARY = "preliminary"
        FINAL = "final"
        AMENDED = "amended"
        CANCELLED = "cancelled"
        UNKNOWN = "unknown"

    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    message = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL)
    source_key = models.CharField(max_length=64, unique=True)  # keyed digest of the report's own identity
    accession_pseudonym = models.CharField(max_length=64, blank=True, db_index=True)
    study_uid = models.CharField(max_length=64, blank=True, db_index=True)  # remapped
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    code_system = models.CharField(max_length=128, blank=True)
    code = models.CharField(max_length=64, blank=True)
    code_display = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    impression = models.TextField(blank=True)
    issued = models.DateField(null=True, blank=True)  # shifted per patient, see ingest.deidentify
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]


class CodedConcept(models.Model):
    """A coded diagnosis or finding (SNOMED CT, ICD-10, ICD-9-CM, LOINC) from a report, order or patient."""

    class Role(models.TextChoices):
        DIAGNOSIS = "diagnosis"
        FINDING = "finding"

    system = models.CharField(max_length=128, db_index=True)  # canonical URI, e.g. http://snomed.info/sct
    code = models.CharField(max_length=64, db_index=True)
    display = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.FINDING)
    source = models.CharField(max_length=32, blank=True)  # hl7-dg1, hl7-obx, fhir-condition, crosswalk, ...
    source_key = models.CharField(max_length=64, blank=True, db_index=True)  # keyed digest, FHIR Condition id
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="codes")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="codes")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="codes")
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.SET_NULL, related_name="codes")
    mapped_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="mapped_codes")  # set on codes added by a crosswalk
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class PatientAlias(models.Model):
    """A keyed digest of a FHIR reference such as 'Patient/123' -> the patient it names."""

    alias = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="aliases")
