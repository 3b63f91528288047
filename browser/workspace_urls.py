"""URL routes of the workspace API (mounted under /api/)."""
from django.urls import path

from browser import workspace_views as views

urlpatterns = [
    path("auth/login/", views.LoginApi.as_view(), name="login"),
    path("auth/logout/", views.LogoutApi.as_view(), name="logout"),
    path("auth/me/", views.MeApi.as_view(), name="me"),
    path("teaching-sets/", views.TeachingSetListApi.as_view(), name="teaching-set-list"),
    path("teaching-sets/<int:set_id>/", views.TeachingSetDetailApi.as_view(), name="teaching-set-detail"),
    path("teaching-sets/<int:set_id>/cases/", views.TeachingCaseListApi.as_view(), name="teaching-case-list"),
    path("teaching-sets/<int:set_id>/cases/<int:case_id>/", views.TeachingCaseDetailApi.as_view(),
         name="teaching-case-detail"),
    path("teaching-sets/<int:set_id>/order/", views.TeachingSetOrderApi.as_view(), name="teaching-set-order"),
    path("teaching-sets/<int:set_id>/export/", views.TeachingSetExportApi.as_view(), name="teaching-set-export"),
    path("groups/", views.GroupListApi.as_view(), name="group-list"),
    path("saved-searches/", views.SavedSearchListApi.as_view(), name="saved-search-list"),
    path("saved-searches/<int:saved_id>/", views.SavedSearchDetailApi.as_view(), name="saved-search-detail"),
    path("saved-searches/<int:saved_id>/run/", views.SavedSearchRunApi.as_view(), name="saved-search-run"),
    path("saved-searches/<int:saved_id>/export/", views.SavedSearchExportApi.as_view(), name="saved-search-export"),
    path("audit/", views.AuditEventListApi.as_view(), name="audit-list"),
    path("curation/uploads/", views.UploadIngestApi.as_view(), name="upload-ingest"),
    path("curation/rejections/", views.RejectionListApi.as_view(), name="rejection-list"),
    path("curation/quarantine/", views.QuarantineListApi.as_view(), name="quarantine-list"),
    path("curation/quarantine/<int:image_id>/", views.QuarantineDecisionApi.as_view(), name="quarantine-decision"),
    path("map/", views.RepositoryMapApi.as_view(), name="repository-map"),
    path("images/<int:result_id>/why-similar/", views.WhySimilarApi.as_view(), name="why-similar"),
    path("why-similar/", views.WhySimilarApi.as_view(), name="why-similar-upload"),
]
