"""URL routes of the frontend app: the single page at the site root."""
from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.index, name="frontend-index"),
]
