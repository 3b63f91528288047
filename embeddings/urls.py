"""URL routes of the embeddings app."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
