from django.urls import path

from opora.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="job-list"),
    *(
        path(f"{page.slug}/upload/", views.upload, {"kind": kind}, name=f"{page.slug}-upload")
        for kind, page in views.UPLOAD_PAGES.items()
    ),
    path("<int:job_pk>/", views.job_detail, name="job-detail"),
    path("<int:job_pk>/commit/", views.job_commit, name="job-commit"),
    path("<int:job_pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("<int:job_pk>/map-school/", views.job_map_school, name="job-map-school"),
]
