import pytest
from django.core.cache import cache

from listings.tests.public_helpers import site_context  # noqa: F401 - fixture

# The public address of these tests: not the test client's "testserver", so a link built from the
# request's host instead of SITE_URL (cms.site_url) shows up as a failure.
SITE = "https://sangiaodich.example.vn"


@pytest.fixture(autouse=True)
def public_site_url(settings):
    settings.SITE_URL = SITE
    return SITE


@pytest.fixture
def i18n(settings):
    """Wagtail's localisation on (the lead sets WAGTAIL_I18N_ENABLED = True) and an English locale."""
    from wagtail.models import Locale

    settings.WAGTAIL_I18N_ENABLED = True
    Locale.objects.get_or_create(language_code="en")
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def home():
    from cms.models import HomePage

    return HomePage.objects.get(slug="home")


def add(parent, page):
    """Add and publish a child page (as an editor would)."""
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page.specific


@pytest.fixture
def event_index(home):
    from cms.models import EventIndexPage

    return add(home, EventIndexPage(title="Sự kiện", slug="su-kien"))


@pytest.fixture
def make_event(event_index):
    import datetime as dt

    from django.utils import timezone

    from cms.models import EventPage

    def make(capacity=2, slug="techmart", days=10, **fields):
        start = timezone.now() + dt.timedelta(days=days)
        fields.setdefault("venue", "SECC, Quận 7")
        return add(
            event_index,
            EventPage(
                title=fields.pop("title", "Techmart 2026"),
                slug=slug,
                start=start,
                end=start + dt.timedelta(hours=8),
                capacity=capacity,
                **fields,
            ),
        )

    return make
