from django.urls import path

from kir.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.index, name="index"),
    path("models/<str:manufacturer>/<str:model_id>/", views.model_detail, name="model_detail"),
    path("dmcs/", views.dmc_list, name="dmc_list"),
    path("dmcs/<str:identifier>/", views.dmc_detail, name="dmc_detail"),
]
