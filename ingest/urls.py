"""URL routes of the ingest app."""
from django.urls import path  # noqa: F401

from ingest.fhir_views import FhirBundleApi, FhirMetadataApi, FhirReadApi, FhirTypeApi
from ingest.hl7_views import Hl7MessageApi

urlpatterns: list = []

# HL7 v2 / FHIR (clinical data)
urlpatterns += [
    path("api/hl7/", Hl7MessageApi.as_view(), name="hl7-message"),
    path("fhir/", FhirBundleApi.as_view(), name="fhir-bundle"),
    path("fhir/metadata", FhirMetadataApi.as_view(), name="fhir-metadata"),  # before the type route it would match
    path("fhir/<str:resource_type>", FhirTypeApi.as_view(), name="fhir-type"),
    path("fhir/<str:resource_type>/<str:resource_id>", FhirReadApi.as_view(), name="fhir-read"),
]

# DICOMweb (images)
from ingest.dicomweb_views import StowRsApi  # noqa: E402

urlpatterns += [
    path("dicomweb/studies", StowRsApi.as_view(), name="stow-rs"),
    path("dicomweb/studies/", StowRsApi.as_view()),
    path("dicomweb/studies/<str:study_uid>", StowRsApi.as_view(), name="stow-rs-study"),
]
