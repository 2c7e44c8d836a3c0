from django.urls import path

from kir.notify import feed_views, views

app_name = "notify"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notifications_read, name="read"),
    path("feed/", feed_views.feed_page, name="feed"),
    path("feed/renew/", feed_views.feed_renew, name="feed_renew"),
    path("feed/revoke/", feed_views.feed_revoke, name="feed_revoke"),
]
