from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.utils import translation

from exchange.core.middleware import client_ip_from_request


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Account emails (confirmation, password reset) go out in the person's preferred language."""
        language = getattr(context.get("user"), "language", None)
        if not language:
            return super().send_mail(template_prefix, email, context)
        with translation.override(language):
            return super().send_mail(template_prefix, email, context)

    def get_client_ip(self, request):
        """allauth's rate limits (failed logins and sign-ups per IP) count the same address as the lockout
        and the audit log: ``TRUSTED_PROXY_COUNT`` decides how much of X-Forwarded-For is believed."""
        ip = client_ip_from_request(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip
