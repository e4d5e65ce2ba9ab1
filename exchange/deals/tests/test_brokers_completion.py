"""Brokers in the room (NDA as themselves, suggestions, terms), completion: ratings, comparable consent;
and the legal data in the Wagtail admin."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from exchange.core.models import AuditLog
from exchange.deals import selectors, services
from exchange.deals.lifecycle import NotPermitted, WrongState
from exchange.deals.models import DealRating, NdaAcceptance, RegistrationRule
from listings import permissions as lperms

from .conftest import TERMS

pytestmark = pytest.mark.django_db


@pytest.fixture
def brokered(p, flow):
    deal = flow.negotiating()
    services.deal_assign_broker(actor=p.staff, deal=deal, broker=p.broker)
    return deal


# --- brokers ----------------------------------------------------------------------------------------------
def test_broker_needs_own_nda_for_confidential_files(p, nda, brokered):
    assert not lperms.can_view_confidential(p.broker, p.listing)
    acceptance = services.deal_broker_accept_nda(actor=p.broker, deal=brokered, text_sha256=nda.sha256)
    assert acceptance.side == "broker" and acceptance.organization is None and acceptance.user == p.broker
    assert lperms.can_view_confidential(p.broker, p.listing)
    assert AuditLog.objects.filter(action="deal.broker_accept_nda", data__deal=brokered.pk).exists()
    with pytest.raises(WrongState):
        services.deal_broker_accept_nda(actor=p.broker, deal=brokered, text_sha256=nda.sha256)
    # unassigned: access ends
    services.deal_assign_broker(actor=p.staff, deal=brokered, broker=None)
    assert not lperms.can_view_confidential(p.broker, p.listing)


def test_counterparty_acceptance_records_side(p, brokered):
    assert NdaAcceptance.objects.get(deal=brokered, user=p.buyer).side == "buyer"


@pytest.mark.parametrize("who", ["buyer", "researcher", "staff", "third", "stranger"])
def test_only_the_assigned_broker_accepts_as_broker(p, nda, brokered, who):
    with pytest.raises(NotPermitted):
        services.deal_broker_accept_nda(actor=p[who], deal=brokered, text_sha256=nda.sha256)


def test_unassigned_broker_refused(p, nda, flow):
    deal = flow.negotiating()
    with pytest.raises(NotPermitted):
        services.deal_broker_accept_nda(actor=p.broker, deal=deal, text_sha256=nda.sha256)


def test_broker_nda_wrong_hash(p, brokered):
    with pytest.raises(ValidationError):
        services.deal_broker_accept_nda(actor=p.broker, deal=brokered, text_sha256="0" * 64)


def test_broker_nda_when_the_deal_has_none(p, flow):
    deal = flow.inquiry()
    services.deal_accept(actor=p.researcher, deal=deal)
    services.deal_open_negotiation(actor=p.researcher, deal=deal)
    services.deal_assign_broker(actor=p.staff, deal=deal, broker=p.broker)
    with pytest.raises(WrongState):
        services.deal_broker_accept_nda(actor=p.broker, deal=deal, text_sha256="x")


def test_broker_posts_suggestions_and_proposes_terms(p, nda, brokered):
    # Not before accepting the deal's NDA (test_broker_nda.py covers the reads).
    with pytest.raises(NotPermitted):
        services.deal_send_message(actor=p.broker, deal=brokered, body="Gợi ý trước NDA")
    with pytest.raises(NotPermitted):
        services.deal_propose_terms(actor=p.broker, deal=brokered, terms=TERMS)
    services.deal_broker_accept_nda(actor=p.broker, deal=brokered, text_sha256=nda.sha256)
    message = services.deal_send_message(actor=p.broker, deal=brokered, body="Gợi ý: giảm phí trả trước.")
    assert message.side == "broker"
    sheet = services.deal_propose_terms(actor=p.broker, deal=brokered, terms=TERMS)
    assert sheet.proposed_side == "broker"
    with pytest.raises(NotPermitted):
        services.deal_accept_terms(actor=p.broker, deal=brokered, term_sheet=sheet)


def test_broker_room_view(client, p, nda, brokered):
    client.force_login(p.broker)
    url = reverse("deals:room", args=[brokered.pk])
    page = client.get(url).content.decode()
    assert "broker_accept_nda" in page
    client.post(
        reverse("deals:action", args=[brokered.pk, "broker_accept_nda"]),
        {"text_sha256": nda.sha256, "agree": "on"},
    )
    assert NdaAcceptance.objects.filter(deal=brokered, user=p.broker).exists()
    client.post(reverse("deals:message_post", args=[brokered.pk]), {"body": "Gợi ý của tôi"})
    assert "Gợi ý của môi giới" in client.get(url).content.decode()
    client.force_login(p.third)
    assert client.post(reverse("deals:action", args=[brokered.pk, "broker_accept_nda"])).status_code == 404


# --- completion -------------------------------------------------------------------------------------------
@pytest.fixture
def completed(p, flow):
    deal = flow.executing()
    services.deal_complete(actor=p.researcher, deal=deal, final_value_vnd=650_000_000)
    return deal


def test_each_side_rates_once(p, completed):
    rating = services.deal_rate(actor=p.buyer, deal=completed, score=5, comment="Rất tốt")
    assert rating.side == "buyer" and rating.score == 5
    with pytest.raises(WrongState):
        services.deal_rate(actor=p.buyer_signatory, deal=completed, score=4)
    services.deal_rate(actor=p.researcher, deal=completed, score=4)
    assert DealRating.objects.filter(deal=completed).count() == 2
    assert AuditLog.objects.filter(action="deal.rate", data__deal=completed.pk).count() == 2


@pytest.mark.parametrize("score", [0, 6, "5", True])
def test_rating_score_validated(p, completed, score):
    with pytest.raises(ValidationError):
        services.deal_rate(actor=p.buyer, deal=completed, score=score)


def test_rating_only_after_completion(p, flow):
    deal = flow.executing()
    with pytest.raises(WrongState):
        services.deal_rate(actor=p.buyer, deal=deal, score=5)


@pytest.mark.parametrize("who", ["staff", "broker", "third", "stranger"])
def test_rating_only_by_parties(p, completed, who):
    with pytest.raises(NotPermitted):
        services.deal_rate(actor=p[who], deal=completed, score=5)


def test_comparable_consent_and_selector(p, completed, flow):
    assert list(selectors.consented_comparables()) == []
    services.deal_consent_comparable(actor=p.buyer_signatory, deal=completed)
    assert list(selectors.consented_comparables()) == []
    services.deal_consent_comparable(actor=p.seller_signatory, deal=completed)
    completed.refresh_from_db()
    assert completed.comparable_consent_buyer_at and completed.comparable_consent_seller_at
    rows = list(selectors.consented_comparables())
    assert rows == [
        {
            "field_code": p.listing.field.code if p.listing.field_id else None,
            "trl": p.listing.trl,
            "transaction_type": TERMS["transaction_type"],
            "final_value_vnd": 650_000_000,
            "year": completed.completed_at.year,
        }
    ]
    services.deal_consent_comparable(actor=p.seller_signatory, deal=completed, consent=False)
    assert list(selectors.consented_comparables()) == []


def test_consent_of_open_deal_is_not_a_comparable(p, flow):
    deal = flow.executing()
    services.deal_consent_comparable(actor=p.buyer_signatory, deal=deal)
    services.deal_consent_comparable(actor=p.seller_signatory, deal=deal)
    assert list(selectors.consented_comparables()) == []


@pytest.mark.parametrize("who", ["buyer", "researcher", "staff", "broker", "third"])
def test_consent_only_by_signatories(p, completed, who):
    with pytest.raises(NotPermitted):
        services.deal_consent_comparable(actor=p[who], deal=completed)


def test_completion_views(client, p, completed):
    client.force_login(p.buyer)
    url = reverse("deals:room", args=[completed.pk])
    assert 'name="score"' in client.get(url).content.decode()
    client.post(reverse("deals:action", args=[completed.pk, "rate"]), {"score": "4", "comment": "Ổn"})
    assert DealRating.objects.get(deal=completed).score == 4
    client.force_login(p.seller_signatory)
    client.post(
        reverse("deals:action", args=[completed.pk, "consent_comparable"]),
        {"side": "seller", "consent": "on"},
    )
    completed.refresh_from_db()
    assert completed.comparable_consent_seller_at is not None


# --- API --------------------------------------------------------------------------------------------------
@pytest.fixture
def api(client, settings):
    settings.ROOT_URLCONF = "exchange.deals.tests.api_urls"
    return client


def test_api_rating_consent_and_code(api, p, completed, flow):
    api.force_login(p.buyer)
    base = f"/api/v1/deals/{completed.pk}/"
    assert api.post(base + "ratings/", {"score": 5}, content_type="application/json").status_code == 201
    assert api.post(base + "ratings/", {"score": 5}, content_type="application/json").status_code == 409
    assert api.get(base + "ratings/").json()[0]["score"] == 5
    assert api.post(base + "comparable-consent/", {}, content_type="application/json").status_code == 403
    api.force_login(p.buyer_signatory)
    response = api.post(base + "comparable-consent/", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["comparable_consent_buyer_at"]
    api.force_login(p.third)
    assert api.get(base + "ratings/").status_code == 404


def test_api_signature_code(api, p, flow, django_capture_on_commit_callbacks):
    import re

    from django.core import mail

    deal = flow.contract_ready()
    base = f"/api/v1/deals/{deal.pk}/"
    api.force_login(p.seller_signatory)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(base + "signature-code/", {}, content_type="application/json")
    assert response.status_code == 201 and response.json()["max_attempts"] == 5
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert api.post(base + "sign/", {"code": "x"}, content_type="application/json").status_code == 400
    assert api.post(base + "sign/", {"code": code}, content_type="application/json").status_code == 200
    assert api.get(base + "signing-pdf/").status_code == 200
    api.force_login(p.buyer)
    assert api.post(base + "signature-code/", {}, content_type="application/json").status_code == 403


def test_api_schema_lists_new_endpoints(api, p):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    # the test urlconf has no schema route; import the real one instead
    from drf_spectacular.generators import SchemaGenerator

    from exchange.api_urls import schema_urlconf

    paths = SchemaGenerator(urlconf=schema_urlconf).get_schema(request=None, public=True)["paths"]
    for suffix in ("signature-code/", "sign-certificate/", "signing-pdf/", "broker-accept-nda/", "ratings/"):
        assert f"/api/v1/deals/{{id}}/{suffix}" in paths, suffix
    del schema


# --- legal data in the Wagtail admin ----------------------------------------------------------------------
def test_staff_edit_legal_data_in_wagtail(client, p):
    from exchange.accounts.tests.factories import UserFactory

    rule = RegistrationRule.objects.first()
    for name in ("deals_nda_template", "deals_revenue_share_rule", "deals_registration_rule"):
        url = reverse(f"{name}:index")
        client.force_login(p.staff)
        assert client.get(url).status_code == 200, name
        assert client.get(reverse(f"{name}:add")).status_code == 200, name
    if rule is not None:
        edit = reverse("deals_registration_rule:edit", args=[rule.pk])
        client.force_login(p.staff)
        response = client.post(
            edit,
            {
                "code": rule.code,
                "description_vi": rule.description_vi,
                "description_en": rule.description_en,
                "deadline_days": 75,
                "source": rule.source,
                "active": "on",
            },
        )
        assert response.status_code == 302
        rule.refresh_from_db()
        assert rule.deadline_days == 75
    moderator = UserFactory(roles=["moderator"])
    for user in (p.buyer, moderator, p.broker):
        client.force_login(user)
        response = client.get(reverse("deals_registration_rule:index"))
        assert response.status_code in (302, 403), user
