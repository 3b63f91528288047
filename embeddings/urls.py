"""URL routes of the embeddings app (mounted under /api/)."""
from django.urls import path

from embeddings import views

urlpatterns = [
    path("evaluations/", views.EvaluationListApi.as_view(), name="evaluation-list"),
]
