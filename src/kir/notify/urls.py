from django.urls import path

from kir.notify import bulletin_views, feed_views, mail_views, views

app_name = "notify"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notifications_read, name="read"),
    path("feed/", feed_views.feed_page, name="feed"),
    path("feed/renew/", feed_views.feed_renew, name="feed_renew"),
    path("feed/revoke/", feed_views.feed_revoke, name="feed_revoke"),
    path("subscriptions/", mail_views.subscriptions_page, name="subscriptions"),
    path("unsubscribe/<str:token>/", mail_views.unsubscribe_page, name="unsubscribe"),
    path("bulletins/", bulletin_views.bulletin_list, name="bulletins"),
    path("bulletins/new/", bulletin_views.bulletin_new, name="bulletin_new"),
    path("bulletins/<int:pk>/", bulletin_views.bulletin_detail, name="bulletin"),
]
