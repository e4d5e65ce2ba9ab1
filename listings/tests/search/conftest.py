"""The ``backend`` fixture the contract suite runs against, once per backend.

To add a backend, append its name to ``BACKENDS`` (and, if it needs a server, skip or start it in
``_prepare``); every test in ``test_contract.py`` then runs against it unchanged.
"""

import pytest

from exchange.accounts.tests.factories import OrganizationFactory
from exchange.core.models import Province
from listings.models import IPRight, ScienceField
from listings.search.base import get_backend, reset_backends
from listings.tests.factories import ListingFactory, RequestListingFactory

BACKENDS = ["database"]


def _prepare(name, request):
    """Per-backend setup before a test: a clean, empty index."""
    backend = get_backend(name)
    if name == "database":
        backend.clear()
    return backend


@pytest.fixture(params=BACKENDS)
def backend(request, db, settings):
    settings.SEARCH_BACKEND = request.param
    reset_backends()
    yield _prepare(request.param, request)
    reset_backends()


@pytest.fixture
def db_backend(backend):
    """The database backend, for tests of its own machinery (indexing, the result cache). BACKENDS holds
    only "database" here, so this never skips; it would if another backend were ever added to it."""
    if backend.name != "database":
        pytest.skip("database backend only")
    return backend


class Corpus:
    """Creates published listings and indexes them into the backend under test."""

    def __init__(self, backend):
        self.backend = backend
        self.created = []
        self._org = None

    @property
    def neutral_org(self):
        """An organisation whose name shares no word with the test titles (the factory's default
        "Trường Đại học Thử nghiệm N" would match 'dai hoc')."""
        if self._org is None:
            self._org = OrganizationFactory(name="Tổ chức Mẫu", ref="to-chuc-mau")
        return self._org

    def add(self, *, request=False, ip_types=(), **fields):
        blank = {
            "title_vi": "",
            "title_en": "",
            "summary_vi": "",
            "summary_en": "",
            "description_vi": "",
            "keywords": [],
        }
        fields.setdefault("published", True)
        if "organization" not in fields:
            fields["organization"] = self.neutral_org
        factory = RequestListingFactory if request else ListingFactory
        if request:
            blank["problem_vi"] = ""
        # Indexed explicitly by sync(): the tests decide what the index holds.
        listing = factory(**{**blank, **fields}, search_index=False)
        for ip_type in ip_types:
            IPRight.objects.create(listing=listing, type=ip_type)
        self.created.append(listing.pk)
        return listing

    def sync(self):
        self.backend.index(self.created)
        return self


@pytest.fixture
def corpus(backend):
    return Corpus(backend)


@pytest.fixture
def places(db):
    return {
        "hcm": Province.objects.get(code="79"),
        "cantho": Province.objects.get(name__icontains="Cần Thơ"),
    }


@pytest.fixture
def orgs(db):
    return {
        "bk": OrganizationFactory(ref="dhbk", name="Trường Đại học Bách khoa", short_name="HCMUT"),
        "ct": OrganizationFactory(ref="dhct", name="Trường Đại học Cần Thơ", name_en="Can Tho University"),
        "vien": OrganizationFactory(ref="vien-sinh-hoc", name="Viện Sinh học Nhiệt đới"),
    }


@pytest.fixture
def fields(db):
    return {
        "env": ScienceField.objects.get(code="2.07"),
        "eng": ScienceField.objects.get(code="2"),
        "agri": ScienceField.objects.filter(code__startswith="4.").first(),
    }
