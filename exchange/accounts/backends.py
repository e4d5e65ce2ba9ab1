"""Model permissions that follow from platform roles, kept as one table.

Roles are data (``accounts.Role``) and give Django/Wagtail permissions through this backend, so that a
moderator gets into the Wagtail admin and its moderation queue without anyone maintaining auth groups
by hand. Object-level rules (which organisation) stay in ``exchange.accounts.permissions``.
"""

from django.contrib.auth.backends import BaseBackend

from .models import PlatformRole

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    PlatformRole.MODERATOR: frozenset(
        {
            "wagtailadmin.access_admin",
            "listings.view_listing",
            "listings.change_listing",
            "accounts.view_organization",
        }
    ),
    PlatformRole.STAFF: frozenset(
        {
            "wagtailadmin.access_admin",
            "listings.view_listing",
            "listings.change_listing",
            "accounts.view_organization",
            "accounts.add_organization",
            "accounts.change_organization",
            "accounts.view_membership",
            "accounts.change_membership",
            "core.view_auditlog",
            "core.view_notification",
        }
    ),
}


class RolePermissionBackend(BaseBackend):
    """Grants permissions by platform role; never authenticates anyone by itself."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        perms: set[str] = set()
        for code in user_obj.role_codes():
            perms |= ROLE_PERMISSIONS.get(code, frozenset())
        return perms

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj))
