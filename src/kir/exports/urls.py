from django.urls import path

from kir.exports import views

app_name = "exports"
urlpatterns = [
    path("<str:tlp>/<int:year>/<str:filename>", views.csaf_file, name="csaf_file"),
]
