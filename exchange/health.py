"""Health endpoints for the reverse proxy and monitoring.

Anyone gets a status a load balancer can act on (200 ok / 503 degraded); details (backends, counts,
last error) are for exchange staff only, since error texts can name internal hosts.
"""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from exchange.accounts.permissions import is_staff


@never_cache
@require_GET
def search_health(request):
    from listings.search import search_health as report_search_health

    report = report_search_health()
    body = report if is_staff(request.user) else {"ok": report["ok"], "backend": report["backend"]}
    return JsonResponse(body, status=200 if report["ok"] else 503)
