"""URL routes of the browser app (mounted under /api/)."""
from django.urls import path

from browser import views

urlpatterns = [
    path("search/", views.SearchApi.as_view(), name="search"),
    path("facets/", views.FacetsApi.as_view(), name="facets"),
    path("images/", views.ImageListApi.as_view(), name="image-list"),
    path("images/<int:image_id>/", views.ImageDetailApi.as_view(), name="image-detail"),
    path("images/<int:image_id>/thumbnail/", views.ImageThumbnailApi.as_view(), name="image-thumbnail"),
    path("images/<int:image_id>/image/", views.ImagePixelsApi.as_view(), name="image-pixels"),
    path("images/<int:image_id>/raw/", views.ImageRawApi.as_view(), name="image-raw"),
    path("images/<int:image_id>/series/", views.ImageSeriesApi.as_view(), name="image-series"),
    path("images/<int:image_id>/neighbours/", views.ImageNeighboursApi.as_view(), name="image-neighbours"),
    path("encoders/", views.EncoderListApi.as_view(), name="encoder-list"),
    path("health/", views.HealthApi.as_view(), name="health"),
]
