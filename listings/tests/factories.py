import datetime as dt

import factory
from django.utils import timezone

from exchange.accounts.tests.factories import OrganizationFactory, UserFactory
from listings.lifecycle import ListingState
from listings.models import Listing, ListingKind, ScienceField, TransactionType


class ListingFactory(factory.django.DjangoModelFactory):
    """A complete offer in draft. ``ListingFactory(published=True)`` gives a live one."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    class Params:
        published = factory.Trait(
            state=ListingState.PUBLISHED,
            version=1,
            published_at=factory.LazyFunction(timezone.now),
            expires_at=factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=365)),
        )

    ref = factory.Sequence(lambda n: f"test-{n}")
    kind = ListingKind.OFFER
    title_vi = factory.Sequence(lambda n: f"Công nghệ xử lý nước thải số {n}")
    title_en = factory.Sequence(lambda n: f"Wastewater treatment technology {n}")
    summary_vi = "Tóm tắt công nghệ."
    field = factory.LazyFunction(lambda: ScienceField.objects.get(code="2.07"))
    keywords = factory.LazyFunction(lambda: ["xử lý nước thải", "màng sinh học"])
    trl = 6
    transaction_types = factory.LazyFunction(lambda: [TransactionType.EXCLUSIVE_LICENSE])
    organization = factory.SubFactory(OrganizationFactory)
    created_by = factory.SubFactory(UserFactory)
    inventors = factory.LazyFunction(lambda: ["Nguyễn Văn A"])

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.authors.set(extracted)

    @factory.post_generation
    def search_index(self, create, extracted, **kwargs):
        """The services index what they publish after commit; a factory-made live listing is indexed
        here the same way, so tests that search see what users would (``search_index=False`` opts out)."""
        if create and extracted is not False and self.state == ListingState.PUBLISHED:
            from django.db import connection

            if connection.vendor in ("sqlite", "postgresql"):
                from listings.search.database import DatabaseBackend

                DatabaseBackend().index([self.pk])


class RequestListingFactory(ListingFactory):
    kind = ListingKind.REQUEST
    trl = None
    trl_wanted_min = 4
    trl_wanted_max = 7
    problem_vi = "Cần xử lý nước thải dệt nhuộm đạt QCVN."
