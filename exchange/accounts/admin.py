"""Staff unlock sign-ins in the Django admin (``/django-admin/axes/accessattempt/``): deleting a failed-
attempt row lifts the lock on that identifier and address. axes' own admin is kept, with one addition —
every unlock writes an audit row naming the staff member, because lifting a lock is a security decision."""

import axes.admin  # noqa: F401  (registers AccessAttemptAdmin, which is replaced below)
from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

from exchange.core.services import audit_record


def _audit_unlock(request, attempt: AccessAttempt) -> None:
    audit_record(
        actor=request.user,
        action="account.unlocked",
        data={
            "identifier": attempt.username or "",
            "ip": attempt.ip_address or "",
            "failures": attempt.failures_since_start,
            "reason": "staff",
        },
    )


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AuditedAccessAttemptAdmin(AccessAttemptAdmin):
    def delete_model(self, request, obj):
        _audit_unlock(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for attempt in queryset.only("username", "ip_address", "failures_since_start"):
            _audit_unlock(request, attempt)
        super().delete_queryset(request, queryset)
