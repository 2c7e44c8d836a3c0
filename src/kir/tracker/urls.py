from django.urls import path

from kir.tracker import run_views

app_name = "tracker"
urlpatterns = [
    path("runs/", run_views.run_list, name="run_list"),
    path("runs/new/", run_views.run_new, name="run_new"),
    path("runs/<int:run_id>/", run_views.run_detail, name="run_detail"),
]
