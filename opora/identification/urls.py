from django.urls import path

from opora.identification import views

app_name = "identification"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/start/", views.run_start, name="run-start"),
    path("runs/<int:run_pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:run_pk>/rerun/", views.run_rerun, name="run-rerun"),
    path("lists/<int:list_pk>/", views.list_detail, name="list-detail"),
    path("lists/<int:list_pk>/export/", views.list_export, name="list-export"),
    path("lists/<int:list_pk>/compare/", views.list_compare, name="list-compare"),
    path("lists/official/upload/", views.official_upload, name="official-upload"),
    path("methodology/", views.methodology, name="methodology"),
    path("methodology/edit/", views.methodology_edit, name="methodology-edit"),
    path("methodology/<int:version_pk>/", views.methodology_version, name="methodology-version"),
]
