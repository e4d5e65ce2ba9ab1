import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from exchange.core.models import AuditLog
from listings import services
from listings.models import Listing, ListingKind, ScienceField, TransactionType

from .factories import ListingFactory, RequestListingFactory


@pytest.mark.django_db
def test_taxonomy_loaded_two_levels():
    assert ScienceField.objects.filter(parent__isnull=True).count() == 6
    env = ScienceField.objects.get(code="2.07")
    assert env.name == "Kỹ thuật môi trường" and env.name_en == "Environmental engineering"
    assert env.parent.code == "2" and env.level == 2
    assert ScienceField.objects.get(code="1.01").name == "Toán học và thống kê"
    assert ScienceField.objects.filter(parent__code="2").count() == 12
    assert not ScienceField.objects.filter(parent__isnull=False, name_en="").exists()


@pytest.mark.django_db
def test_price_constraint_in_database():
    listing = ListingFactory(price_min=100, price_max=200)
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(price_min=300)
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(price_min=-1)


@pytest.mark.django_db
def test_origin_ref_unique():
    listing = ListingFactory()
    assert listing.origin == "hcmc"
    with pytest.raises(IntegrityError), transaction.atomic():
        ListingFactory(ref=listing.ref)
    ListingFactory(ref=listing.ref, origin="dongnai")  # another exchange may use the same ref


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"trl": None}, "trl"),
        ({"trl": 10}, "trl"),
        ({"transaction_types": ["gift"]}, "transaction_types"),
        ({"transaction_types": ["assignment", "assignment"]}, "transaction_types"),
        ({"price_min": 5, "price_max": 1}, "price_max"),
        ({"title_vi": "", "title_en": ""}, "title_vi"),
        ({"keywords": "not a list"}, "keywords"),
        ({"trl_wanted_min": 6, "trl_wanted_max": 3}, "trl_wanted_max"),
    ],
)
def test_clean_rules(changes, field):
    listing = ListingFactory.build(**changes, organization=None, created_by=None)
    with pytest.raises(ValidationError) as exc:
        listing.full_clean(exclude=["organization", "created_by"], validate_unique=False)
    assert field in exc.value.message_dict


@pytest.mark.django_db
def test_request_needs_no_trl():
    RequestListingFactory().full_clean()


@pytest.mark.django_db
def test_listing_create_service(people):
    listing = services.listing_create(
        actor=people.owner,
        kind=ListingKind.OFFER,
        organization=people.org,
        data={
            "title_vi": "Màng sinh học",
            "field": "2.07",
            "trl": 5,
            "transaction_types": [TransactionType.ASSIGNMENT],
            "price_min": 1_000_000,
            "price_max": 2_000_000,
            "ip": [{"type": "patent", "status": "granted", "number": "1-0012345", "filed_on": "2021-03-02"}],
        },
        authors=[people.stranger],
    )
    assert listing.state == "draft" and listing.version == 0
    assert listing.ref.startswith(people.org.ref)
    assert listing.created_by == people.owner
    assert list(listing.authors.all()) == [people.stranger]
    ip = listing.ip_rights.get()
    assert (ip.type, ip.status, str(ip.filed_on)) == ("patent", "granted", "2021-03-02")
    assert AuditLog.objects.filter(action="listing.create", target_id=str(listing.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "stranger", "other_member", "moderator"])
def test_listing_create_refused_for_non_members(people, role):
    from listings.lifecycle import NotPermitted

    with pytest.raises(NotPermitted):
        services.listing_create(
            actor=people[role],
            kind="offer",
            organization=people.org,
            data={"title_vi": "X", "field": "2.07", "trl": 3},
        )


@pytest.mark.django_db
def test_staff_may_create_for_any_organisation(people):
    listing = services.listing_create(
        actor=people.staff,
        kind="request",
        organization=people.org,
        data={"title_vi": "Nhu cầu", "field": "4.01"},
    )
    assert listing.kind == "request"


@pytest.mark.django_db
def test_listing_create_validates(people):
    with pytest.raises(ValidationError):
        services.listing_create(
            actor=people.owner, kind="offer", organization=people.org, data={"title_vi": "X", "field": "2.07"}
        )
    with pytest.raises(ValidationError):
        services.listing_create(
            actor=people.owner,
            kind="offer",
            organization=people.org,
            data={"title_vi": "X", "field": "2.07", "trl": 3, "ip": [{"type": "magic"}]},
        )
    assert not Listing.objects.exists()
