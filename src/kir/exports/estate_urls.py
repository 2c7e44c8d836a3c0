from django.urls import path

from kir.exports import estate_views

app_name = "estate"
urlpatterns = [
    path("", estate_views.estate_check_page, name="check"),
    path("saved/<int:estate_id>/", estate_views.saved_estate_check, name="saved"),
    path("saved/<int:estate_id>/delete/", estate_views.saved_estate_delete, name="delete"),
]
