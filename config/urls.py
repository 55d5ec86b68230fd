from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("opora.core.urls")),
    path("accounts/", include("opora.accounts.urls")),
    path("", include("opora.registry.urls")),
    path("", include("opora.assessments.urls")),
    path("imports/", include("opora.imports.urls")),
    path("identification/", include("opora.identification.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "opora.core.views.not_found"
handler500 = "opora.core.views.server_error"
handler403 = "opora.core.views.forbidden"
