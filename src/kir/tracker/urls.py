from django.urls import path

from kir.tracker import edition_views, run_views

app_name = "tracker"
urlpatterns = [
    path("", edition_views.home, name="home"),
    path("runs/", run_views.run_list, name="run_list"),
    path("runs/new/", run_views.run_new, name="run_new"),
    path("runs/<int:run_id>/", run_views.run_detail, name="run_detail"),
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
    path("editions/<int:number>/cancel/", edition_views.edition_cancel, name="edition_cancel"),
    path(
        "editions/<int:number>/withdraw/", edition_views.edition_withdraw, name="edition_withdraw"
    ),
]
