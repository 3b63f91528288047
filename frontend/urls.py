"""URL routes of the frontend app: the single page at the site root and its translations."""
from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.index, name="frontend-index"),
    path("jsi18n/<str:language>/", views.LanguageCatalogue.as_view(), name="js-catalogue"),
]
