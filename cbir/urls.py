"""Root URL map: each app mounts its own urls module."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("browser.urls")),
    path("api/", include("browser.workspace_urls")),
    path("api/", include("embeddings.urls")),
    path("", include("ingest.urls")),
    path("", include("frontend.urls")),
]
