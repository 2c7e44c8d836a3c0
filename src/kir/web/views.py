from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kir.accounts.models import User
from kir.notify.selectors import notifications_for
from kir.notify.worklists import worklists_for
from kir.outbox.models import Job, JobState
from kir.outbox.services import may_retry_jobs

RECENT_NOTIFICATIONS = 5


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each user's work: worklists by role and organisation, and the latest notifications."""
    user = request.user
    assert isinstance(user, User)
    context = {
        "worklists": worklists_for(user=user),
        "notifications": notifications_for(user=user)[:RECENT_NOTIFICATIONS],
        # Deliveries that ran out of attempts wait for a SECAS administrator to retry them.
        "failed_deliveries": (
            Job.objects.filter(state=JobState.FAILED).count() if may_retry_jobs(user) else 0
        ),
    }
    return render(request, "web/home.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer or a monitor: 200 when the database answers, 503 when it does not.
    It names no host, version or setting: anyone may call it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Pages that do not link the icon (the admin's, Swagger UI's) make browsers ask for
    /favicon.ico: send them to the register's, not to a 404 on every page."""
    return redirect(static("kir/favicon.svg"), permanent=True)
