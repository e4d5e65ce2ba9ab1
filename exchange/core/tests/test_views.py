import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from exchange.core.context_processors import notifications as notifications_context
from exchange.core.models import EmailFrequency, Notification, NotificationPreference

pytestmark = pytest.mark.django_db

LIST = "notifications:list"
PROCESSOR = "exchange.core.context_processors.notifications"


@pytest.fixture(autouse=True)
def _context_processor(settings):
    """Until the lead adds it to settings (it is harmless to add twice)."""
    options = settings.TEMPLATES[0]["OPTIONS"]
    if PROCESSOR not in options["context_processors"]:
        settings.TEMPLATES = [
            {
                **settings.TEMPLATES[0],
                "OPTIONS": {**options, "context_processors": [*options["context_processors"], PROCESSOR]},
            },
            *settings.TEMPLATES[1:],
        ]


def _notification(user, subject="Tin", **kwargs):
    return Notification.objects.create(
        recipient=user, kind="generic", subject=subject, body="Nội dung", **kwargs
    )


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("notifications:list", [], "get"),
        ("notifications:preferences", [], "get"),
        ("notifications:preferences", [], "post"),
        ("notifications:read", [1], "post"),
        ("notifications:read_all", [], "post"),
    ],
)
def test_anonymous_is_sent_to_login(client, name, args, method):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_list_shows_only_my_notifications_unread_first(client, vi_user, en_user):
    from django.utils import timezone

    read = _notification(vi_user, "Đã đọc rồi", read_at=timezone.now())
    unread = _notification(vi_user, "Chưa đọc")
    _notification(en_user, "Của người khác")
    client.force_login(vi_user)
    response = client.get(reverse(LIST))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Của người khác" not in content
    assert content.index("Chưa đọc") < content.index("Đã đọc rồi")
    assert [n.pk for n in response.context["notifications"]] == [unread.pk, read.pk]
    assert 'class="notification unread"' in content
    assert response.context["unread_notifications_count"] == 1

    response = client.get(reverse(LIST), {"unread": "1"})
    assert [n.pk for n in response.context["notifications"]] == [unread.pk]


def test_list_is_paginated_without_n_plus_one(client, vi_user, django_assert_max_num_queries):
    for i in range(25):
        _notification(vi_user, f"Tin số {i}")
    client.force_login(vi_user)
    client.get(reverse(LIST))  # warm the site navigation cache (menus are cached across requests)
    with django_assert_max_num_queries(8):
        response = client.get(reverse(LIST))
    assert len(response.context["notifications"]) == 20
    response = client.get(reverse(LIST), {"page": 2})
    assert len(response.context["notifications"]) == 5


def test_mark_one_read_and_follow_its_link(client, vi_user):
    notification = _notification(vi_user, url="/vi/listings/7/")
    client.force_login(vi_user)
    response = client.post(reverse("notifications:read", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/vi/listings/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_refuses_get_and_foreign_redirects(client, vi_user):
    notification = _notification(vi_user)
    client.force_login(vi_user)
    assert client.get(reverse("notifications:read", args=[notification.pk])).status_code == 405
    response = client.post(
        reverse("notifications:read", args=[notification.pk]), {"next": "https://evil.example/phish"}
    )
    assert response["Location"] == reverse(LIST)


def test_cannot_see_or_mark_another_users_notification(client, vi_user, en_user):
    theirs = _notification(en_user)
    client.force_login(vi_user)
    response = client.post(reverse("notifications:read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_my_notifications(client, vi_user, en_user):
    mine = [_notification(vi_user) for _ in range(3)]
    theirs = _notification(en_user)
    client.force_login(vi_user)
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_show_and_save_the_choice(client, vi_user):
    client.force_login(vi_user)
    response = client.get(reverse("notifications:preferences"))
    assert response.status_code == 200
    assert response.context["form"].initial["email_frequency"] == EmailFrequency.IMMEDIATE
    response = client.post(reverse("notifications:preferences"), {"email_frequency": "daily"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=vi_user).email_frequency == "daily"
    response = client.get(reverse("notifications:preferences"))
    assert response.context["form"].initial["email_frequency"] == EmailFrequency.DAILY


def test_preferences_reject_unknown_choice(client, vi_user):
    client.force_login(vi_user)
    response = client.post(reverse("notifications:preferences"), {"email_frequency": "hourly"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not NotificationPreference.objects.filter(user=vi_user).exists()


def test_preferences_page_in_english(client, en_user):
    client.force_login(en_user)
    response = client.get("/en/notifications/preferences/")
    assert response.status_code == 200


def test_unread_count_context_processor_is_one_lazy_count(vi_user, django_assert_num_queries):
    _notification(vi_user)
    _notification(vi_user)
    request = RequestFactory().get("/")
    request.user = vi_user
    with django_assert_num_queries(0):
        context = notifications_context(request)
    with django_assert_num_queries(1):
        assert int(str(context["unread_notifications_count"])) == 2
        assert context["unread_notifications_count"] == 2  # evaluated once


def test_unread_count_is_free_for_anonymous(django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert notifications_context(request)["unread_notifications_count"] == 0
