from django.urls import path

from opora.assessments import views

app_name = "assessments"
urlpatterns = [
    path(
        "municipalities/<int:municipality_pk>/results/",
        views.municipality_results,
        name="municipality-results",
    ),
    path(
        "municipalities/<int:municipality_pk>/results.xlsx",
        views.municipality_results_export,
        name="municipality-results-export",
    ),
]
