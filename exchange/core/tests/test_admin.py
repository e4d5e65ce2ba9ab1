"""The audit log in the Wagtail admin: staff only, read only."""

import pytest
from django.urls import NoReverseMatch, reverse

from exchange.core.models import AuditLog
from exchange.core.services import audit_record

pytestmark = pytest.mark.django_db

INDEX = "audit-log:index"


@pytest.fixture
def rows(vi_user):
    return [
        audit_record(actor=vi_user, action="listing.publish", target=vi_user, after={"status": "published"}),
        audit_record(action="organization.verify", ip="203.0.113.9"),
    ]


@pytest.fixture
def staff(make_user):
    return make_user(roles=["staff"], admin=True)


@pytest.fixture
def moderator(make_user):
    return make_user(roles=["moderator"], admin=True)


def test_staff_sees_the_audit_log_with_filters_and_search(client, staff, rows):
    client.force_login(staff)
    # signing in is audited too (account.login); the filters below are checked against the two rows only
    AuditLog.objects.filter(action="account.login").delete()
    response = client.get(reverse(INDEX))
    assert response.status_code == 200
    content = response.content.decode()
    assert "listing.publish" in content and "organization.verify" in content

    response = client.get(reverse(INDEX), {"action": "organization.verify"})
    assert list(response.context["object_list"]) == [rows[1]]
    response = client.get(reverse(INDEX), {"actor": rows[0].actor_repr[:6]})
    assert list(response.context["object_list"]) == [rows[0]]
    response = client.get(reverse(INDEX), {"target_type": rows[0].target_type_id})
    assert list(response.context["object_list"]) == [rows[0]]
    response = client.get(reverse(INDEX), {"q": "verify"})
    assert list(response.context["object_list"]) == [rows[1]]
    today = rows[0].created_at.astimezone().date().isoformat()
    response = client.get(reverse(INDEX), {"created_at_from": today, "created_at_to": today})
    assert set(response.context["object_list"]) == set(rows)
    response = client.get(reverse(INDEX), {"created_at_from": "2000-01-01", "created_at_to": "2000-01-02"})
    assert list(response.context["object_list"]) == []

    response = client.get(reverse("audit-log:inspect", args=[rows[0].pk]))
    assert response.status_code == 200
    assert "published" in response.content.decode()


def test_superuser_sees_the_audit_log(client, make_user, rows):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert client.get(reverse(INDEX)).status_code == 200


def test_audit_log_has_no_add_edit_or_delete():
    for name in ("audit-log:add", "audit-log:edit", "audit-log:delete"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[] if name.endswith("add") else [1])


def test_moderator_cannot_see_the_audit_log(client, moderator, rows):
    client.force_login(moderator)
    # A moderator uses the Wagtail admin ...
    dashboard = client.get(reverse("wagtailadmin_home"))
    assert dashboard.status_code == 200
    # ... but the audit log is not in their menu, and its pages are refused.
    assert reverse(INDEX) not in dashboard.content.decode()
    for url in (reverse(INDEX), reverse("audit-log:inspect", args=[rows[0].pk])):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert "listing.publish" not in response.content.decode()


def test_staff_menu_shows_the_audit_log(client, staff):
    client.force_login(staff)
    assert reverse(INDEX) in client.get(reverse("wagtailadmin_home")).content.decode()


def test_anonymous_is_sent_to_admin_login(client, rows):
    response = client.get(reverse(INDEX))
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert AuditLog.objects.count() == 2
