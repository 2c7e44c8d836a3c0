from django.urls import path

from kir.exports import provider_views, views
from kir.exports.provider import CATEGORY_DOCUMENT, FEED_NAME

app_name = "exports"
urlpatterns = [
    path("provider-metadata.json", provider_views.metadata, name="provider_metadata"),
    path("service.json", provider_views.service, name="service"),
    path("openpgp/<str:fingerprint>.asc", provider_views.openpgp_key, name="openpgp_key"),
    path("audit/<str:filename>", provider_views.audit_anchor_file, name="audit_anchor"),
    path(f"<str:tlp>/{FEED_NAME}", views.csaf_feed, name="csaf_feed"),
    path(f"<str:tlp>/{CATEGORY_DOCUMENT}", views.csaf_category_document, name="csaf_categories"),
    path("<str:tlp>/index.txt", views.csaf_index, name="csaf_index"),
    path("<str:tlp>/changes.csv", views.csaf_changes, name="csaf_changes"),
    path("<str:tlp>/<int:year>/<str:filename>", views.csaf_file, name="csaf_file"),
]
