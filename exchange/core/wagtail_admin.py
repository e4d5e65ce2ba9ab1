"""Building blocks for admin screens whose access follows platform roles and whose changes go through
services: a view-only permission policy decided by a rule, and a viewset mixin with no add/edit/delete.
"""

from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy


class RoleViewPermissionPolicy(BasePermissionPolicy):
    """Users for whom ``rule(user)`` holds may view; nobody may add, change or delete here."""

    def __init__(self, model, *, rule: Callable[[object], bool], roles: Iterable[str]):
        super().__init__(model)
        self.rule = rule
        self.roles = list(roles)

    def user_has_permission(self, user, action):
        return action == "view" and self.rule(user)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and self.rule(user)

    def users_with_any_permission(self, actions):
        user_model = get_user_model()
        if "view" not in actions:
            return user_model.objects.none()
        return user_model.objects.filter(
            Q(is_superuser=True) | Q(roles__code__in=self.roles), is_active=True
        ).distinct()


class NoFormsViewSetMixin:
    """For ModelViewSets that only list (and inspect or decide): no add, edit, delete, history or usage
    links, and no group permissions to register because access is the role rule above."""

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{
                "add_url_name": None,
                "edit_url_name": None,
                "delete_url_name": None,
                "history_url_name": None,
                "usage_url_name": None,
                **kwargs,
            }
        )

    def get_permissions_to_register(self):
        from django.contrib.auth.models import Permission

        return Permission.objects.none()
