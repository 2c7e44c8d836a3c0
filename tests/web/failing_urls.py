"""The product's URLs plus one view that fails, to see the 500 page a real failure gets."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals: /srv/kir/settings.py line 42")


urlpatterns = [path("fail/", fail), path("", include("kir.urls"))]
