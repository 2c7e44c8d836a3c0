from django.urls import path

from kir.notify.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("<int:endpoint_id>/rotate/", views.endpoint_rotate, name="rotate"),
    *(
        path(f"<int:endpoint_id>/{change}/", views.endpoint_change, {"change": change}, name=change)
        for change in views.CHANGES
    ),
]
