from django.urls import path

from kir.register import views

app_name = "register"
urlpatterns = [
    path("", views.issue_list, name="list"),
    path("export.csv", views.issue_export_csv, name="export_csv"),
    path("export.xlsx", views.issue_export_xlsx, name="export_xlsx"),
    path("new/", views.issue_create, name="create"),
    path("procurement-check/", views.procurement_check_page, name="procurement_check"),
    path("policy/", views.policy_page, name="policy"),
    path("<str:human_id>/", views.issue_detail, name="detail"),
    path("<str:human_id>/edit/", views.issue_edit, name="edit"),
    path("<str:human_id>/transition/<str:name>/", views.issue_transition_view, name="transition"),
    path("<str:human_id>/statements/new/", views.statement_create, name="statement_create"),
    path("<str:human_id>/language/", views.language_override_view, name="language_override"),
    path("<str:human_id>/response/", views.manufacturer_response, name="manufacturer_response"),
    path("<str:human_id>/evidence/new/", views.evidence_create, name="evidence_create"),
    path(
        "<str:human_id>/evidence/<int:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
]
