"""Sign-ins, sign-outs and failed sign-ins in the audit log (issue #11).

Django announces these only through its auth signals, so the receivers live here and do nothing but
write the audit row: who (or which address was tried), when and from which IP. The password a failed
attempt carried is never recorded — only the identifier that was typed, cut to a sane length."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from exchange.core.services import audit_record


@receiver(user_logged_in, dispatch_uid="accounts.audit.login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action="account.login", target=user)


@receiver(user_logged_out, dispatch_uid="accounts.audit.logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="account.logout", target=user)


@receiver(user_login_failed, dispatch_uid="accounts.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    tried = credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    audit_record(action="account.login_failed", data={"identifier": str(tried)[:254]})
