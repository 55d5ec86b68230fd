from django.urls import path

from opora.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="job-list"),
]
