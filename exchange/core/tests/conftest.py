import pytest
from django.contrib.auth.models import Permission

from exchange.accounts.tests.factories import UserFactory
from exchange.core.models import EmailFrequency, NotificationPreference


@pytest.fixture
def make_user(db):
    """``make_user(language="en", frequency="daily", roles=[...], admin=True)``."""

    def make(*, language="vi", frequency=None, admin=False, **kwargs):
        user = UserFactory(language=language, **kwargs)
        if frequency is not None:
            NotificationPreference.objects.create(user=user, email_frequency=frequency)
        if admin:
            user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        return user

    return make


@pytest.fixture
def vi_user(make_user):
    return make_user(language="vi")


@pytest.fixture
def en_user(make_user):
    return make_user(language="en")


@pytest.fixture
def daily_user(make_user):
    return make_user(frequency=EmailFrequency.DAILY)
