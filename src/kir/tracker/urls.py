from django.urls import path

from kir.tracker import edition_views

app_name = "tracker"
urlpatterns = [
    path("", edition_views.home, name="home"),
    path("findings/<int:pk>/", edition_views.finding_detail, name="finding"),
    path("findings/<int:pk>/respond/", edition_views.finding_respond, name="finding_respond"),
    path(
        "findings/<int:pk>/raise-issue/",
        edition_views.finding_raise_issue,
        name="finding_raise_issue",
    ),
    path("editions/", edition_views.edition_list, name="editions"),
    path("editions/propose/", edition_views.edition_propose, name="edition_propose"),
    path("editions/<int:number>/", edition_views.edition_detail, name="edition"),
    path("editions/<int:number>/approve/", edition_views.edition_approve, name="edition_approve"),
]
