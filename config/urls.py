from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Opora: administration")
admin.site.site_title = _("Opora")
admin.site.index_title = _("Reference data and users")

urlpatterns = [
    path("", include("opora.core.urls")),
    path("accounts/", include("opora.accounts.urls")),
    path("", include("opora.registry.urls")),
    path("imports/", include("opora.imports.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "opora.core.views.not_found"
handler500 = "opora.core.views.server_error"
handler403 = "opora.core.views.forbidden"
