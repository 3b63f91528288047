"""URL routes of the ingest app."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
