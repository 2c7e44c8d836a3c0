from django.urls import path

from kir.notify import feed_views

app_name = "feeds"
urlpatterns = [
    path("<str:token>/issues.atom", feed_views.issues_feed, name="issues"),
]
