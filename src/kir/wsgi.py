import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kir.settings")
application = get_wsgi_application()
# Import every view now, then leave everything made so far (modules, settings, URL patterns,
# schemas) out of the garbage collector's full collections: they live as long as the process,
# and walking them again paused one request in a few hundred by 40 to 60 ms.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
