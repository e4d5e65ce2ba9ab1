import json

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse

from exchange.accounts import privacy, services
from exchange.accounts.models import MembershipRole, MembershipStatus, User
from exchange.core.models import AuditLog, Notification
from exchange.core.services import notify

from .factories import MembershipFactory, OrganizationFactory, UserFactory, manager_of

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass-123"


@pytest.fixture
def person():
    user = UserFactory(full_name="Lê Văn Tám", phone="0901234567", roles=["researcher"])
    services.user_register_consent(
        user=user, full_name=user.full_name, language="vi", role="researcher", consent=True
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def app_hooks():
    """A stand-in for another app (e.g. listings) taking part in export and erasure."""
    seen = []
    privacy.register_exporter("demo", lambda user: {"listings": [f"listing of {user.pk}"]})
    privacy.register_eraser("demo", lambda user: seen.append(user.pk))
    yield seen
    privacy.unregister("demo")


def test_registry_refuses_a_different_function_under_a_taken_name(app_hooks):
    with pytest.raises(ValueError):
        privacy.register_exporter("demo", lambda user: None)

    @privacy.register_eraser("decorated")
    def erase(user):
        pass

    assert privacy.erasers()["decorated"] is erase
    privacy.unregister("decorated")


def test_export_contains_my_data_and_nothing_of_others(person, app_hooks):
    org = OrganizationFactory()
    manager = manager_of(org, user__full_name="Người Quản Lý", user__email="manager@example.vn")
    membership = services.membership_request(user=person, organization=org, role=MembershipRole.MEMBER)
    services.membership_approve(actor=manager, membership=membership)
    other = UserFactory(email="other@example.vn", full_name="Người Khác")
    notify(
        recipient=other,
        kind="generic",
        context={"subject_vi": "riêng", "subject_en": "x", "body_vi": "bí mật", "body_en": "x"},
    )

    data = services.user_export_data(user=person)

    assert data["profile"]["email"] == person.email
    assert data["profile"]["phone"] == "0901234567"
    assert data["consent"]["privacy_consent_version"] == person.privacy_consent_version
    assert data["roles"] == ["researcher"]
    assert data["email_addresses"] == [{"email": person.email, "verified": True, "primary": True}]
    assert [(m["organization"]["ref"], m["status"]) for m in data["memberships"]] == [(org.ref, "active")]
    assert [n["kind"] for n in data["notifications"]] == ["membership_decided"]
    assert {a["action"] for a in data["audit"]} == {"user.registered", "membership.requested"}
    assert data["apps"]["demo"] == {"listings": [f"listing of {person.pk}"]}
    dumped = json.dumps(data, ensure_ascii=False)
    for foreign in ("manager@example.vn", "Người Quản Lý", "other@example.vn", "Người Khác", "bí mật"):
        assert foreign not in dumped
    assert AuditLog.objects.filter(action="user.data_exported", actor=person).exists()


def test_export_view_downloads_json(client, person):
    client.force_login(person)
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["profile"]["full_name"] == "Lê Văn Tám"


def test_delete_anonymises_and_keeps_organisation_content(person, app_hooks):
    org = OrganizationFactory()
    membership = MembershipFactory(user=person, organization=org, role=MembershipRole.TTO_MANAGER)
    pending = MembershipFactory(
        user=person, organization=OrganizationFactory(), status=MembershipStatus.PENDING
    )
    colleague = MembershipFactory(organization=org)
    services.membership_change_role(actor=person, membership=colleague, role=MembershipRole.SIGNATORY)
    notify(
        recipient=person,
        kind="generic",
        context={"subject_vi": "a", "subject_en": "a", "body_vi": "b", "body_en": "b"},
    )
    old_email = person.email

    services.user_delete(user=person)

    person.refresh_from_db()
    assert person.email == f"deleted-{person.pk}@invalid"
    assert (person.full_name, person.phone) == ("", "")
    assert not person.is_active and not person.has_usable_password()
    assert not person.roles.exists()
    assert not Notification.objects.filter(recipient=person).exists()
    assert not EmailAddress.objects.filter(user=person).exists()
    membership.refresh_from_db()
    pending.refresh_from_db()
    assert membership.status == pending.status == MembershipStatus.LEFT
    # The organisation and what happened in it stay; the person's name and email do not.
    org.refresh_from_db()
    colleague.refresh_from_db()
    assert colleague.role == MembershipRole.SIGNATORY
    assert AuditLog.objects.filter(action="membership.role_changed", target_id=str(colleague.pk)).exists()
    assert not AuditLog.objects.filter(actor_repr=old_email).exists()
    assert not AuditLog.objects.filter(target_repr__contains="Lê Văn Tám").exists()
    assert not AuditLog.objects.filter(target_repr__contains=old_email).exists()
    row = AuditLog.objects.get(action="user.deleted")
    assert row.actor == person and "demo" in row.data["erasers"]
    assert sorted(row.data["memberships_ended"]) == sorted([membership.pk, pending.pk])
    assert app_hooks == [person.pk]
    with pytest.raises(ValidationError):
        services.user_delete(user=person)


def test_delete_view_needs_the_password(client, person):
    client.force_login(person)
    url = reverse("accounts:delete")
    assert client.get(url).status_code == 200
    response = client.post(url, {"password": "wrong", "confirm": "on"})
    assert response.status_code == 200 and response.context["form"].errors["password"]
    person.refresh_from_db()
    assert person.is_active

    response = client.post(url, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not User.objects.get(pk=person.pk).is_active
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
