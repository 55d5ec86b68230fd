from django.urls import path

from opora.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="job-list"),
    path("register/upload/", views.register_upload, name="register-upload"),
    path("vpr/upload/", views.vpr_upload, name="vpr-upload"),
    path("context/upload/", views.context_upload, name="context-upload"),
    path("pupil-results/upload/", views.pupil_results_upload, name="pupil-results-upload"),
    path("school-results/upload/", views.school_results_upload, name="school-results-upload"),
    path("<int:job_pk>/", views.job_detail, name="job-detail"),
    path("<int:job_pk>/commit/", views.job_commit, name="job-commit"),
    path("<int:job_pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("<int:job_pk>/map-school/", views.job_map_school, name="job-map-school"),
]
