from django.contrib import admin
from django.urls import include, path

from kir.api.api import api
from kir.exports.provider_views import security_txt_file

urlpatterns = [
    path("", include("kir.web.urls")),
    path("accounts/", include("kir.accounts.urls")),
    path("catalogue/", include("kir.catalogue.urls")),
    path("issues/", include("kir.register.urls")),
    path("tracker/", include("kir.tracker.urls")),
    path("notifications/", include("kir.notify.urls")),
    path("feeds/", include("kir.notify.feed_urls")),
    path("webhooks/", include("kir.notify.webhooks.urls")),
    path(".well-known/csaf/", include("kir.exports.urls")),
    path(".well-known/security.txt", security_txt_file, name="security_txt"),
    path("estate-check/", include("kir.exports.estate_urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
