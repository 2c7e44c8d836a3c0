from django.urls import path

from kir.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notifications_read, name="read"),
]
