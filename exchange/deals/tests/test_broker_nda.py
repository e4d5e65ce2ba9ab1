"""The assigned broker of a deal with an NDA sees the room's summary and the NDA until they accept it
themselves; only then its confidential content (messages and attachments, term sheets and the value,
milestones, the contract and its signing PDF) — on the site and through the API alike."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from exchange.deals import permissions as dperms
from exchange.deals import services
from exchange.deals.lifecycle import NotPermitted
from exchange.deals.models import Message, TermSheet

from .conftest import PDF, TERMS

pytestmark = pytest.mark.django_db
SECRET_BODY = "Bí quyết: nhiệt độ phản ứng 73 độ"


@pytest.fixture
def room(p, flow):
    """A deal with an NDA, a message with an attachment, agreed terms and a contract; broker assigned."""
    deal = flow.agreed()
    services.deal_send_message(
        actor=p.buyer,
        deal=deal,
        body=SECRET_BODY,
        attachment=SimpleUploadedFile("so-lieu.pdf", PDF, content_type="application/pdf"),
    )
    services.deal_generate_contract(actor=p.researcher, deal=deal)
    services.deal_assign_broker(actor=p.staff, deal=deal, broker=p.broker)
    deal.refresh_from_db()
    assert deal.value_vnd  # the agreed terms set it: it must stay hidden too
    return deal


def _attachment(deal):
    return Message.objects.filter(deal=deal).exclude(attachment="").get()


def test_permission_layer(p, nda, room):
    assert dperms.can_view(p.broker, room) and not dperms.can_view_confidential(p.broker, room)
    for who in ("buyer", "researcher", "staff"):
        assert dperms.can_view_confidential(p[who], room), who
    assert not dperms.can_view_confidential(p.third, room)
    services.deal_broker_accept_nda(actor=p.broker, deal=room, text_sha256=nda.sha256)
    assert dperms.can_view_confidential(p.broker, room)


def test_broker_without_an_nda_deal_sees_everything(p, flow):
    deal = flow.inquiry()
    services.deal_accept(actor=p.researcher, deal=deal)
    services.deal_open_negotiation(actor=p.researcher, deal=deal)
    services.deal_assign_broker(actor=p.staff, deal=deal, broker=p.broker)
    deal.refresh_from_db()
    assert deal.nda_template_id is None and dperms.can_view_confidential(p.broker, deal)


def test_site_room_shows_summary_and_nda_only_until_the_broker_accepts(client, p, nda, room):
    client.force_login(p.broker)
    url = reverse("deals:room", args=[room.pk])
    page = client.get(url).content.decode()
    assert room.listing.title in page and nda.body.splitlines()[0] in page and nda.sha256 in page
    assert "broker_accept_nda" in page
    contract = reverse("deals:contract", args=[room.pk])
    value = f"{room.value_vnd:,}".replace(",", ".")  # from the agreed terms
    for leak in (SECRET_BODY, "so-lieu.pdf", TERMS["field_of_use"], contract, value):
        assert leak not in page, leak
    assert "thỏa thuận bảo mật của giao dịch trước khi xem nội dung bảo mật" in page
    assert client.get(contract).status_code == 403
    assert client.get(contract + "?format=signing-pdf").status_code == 403
    assert client.get(contract + "?download=1").status_code == 403
    assert client.get(reverse("deals:terms_propose", args=[room.pk])).status_code == 403
    assert client.get(reverse("deals:message_attachment", args=[_attachment(room).pk])).status_code == 404
    client.post(reverse("deals:message_post", args=[room.pk]), {"body": "Gợi ý sớm"})
    assert not Message.objects.filter(deal=room, body="Gợi ý sớm").exists()
    listing_page = client.get(reverse("deals:list")).content.decode()
    assert room.listing.title in listing_page and value not in listing_page

    client.post(
        reverse("deals:action", args=[room.pk, "broker_accept_nda"]),
        {"text_sha256": nda.sha256, "agree": "on"},
    )
    page = client.get(url).content.decode()
    assert SECRET_BODY in page and TERMS["field_of_use"] in page and contract in page
    assert client.get(contract).status_code == 200
    response = client.get(reverse("deals:message_attachment", args=[_attachment(room).pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert value in client.get(reverse("deals:list")).content.decode()


def test_parties_are_not_affected(client, p, room):
    client.force_login(p.buyer)
    assert SECRET_BODY in client.get(reverse("deals:room", args=[room.pk])).content.decode()
    assert client.get(reverse("deals:contract", args=[room.pk])).status_code == 200


def test_api_refuses_confidential_parts_until_the_broker_accepts(p, nda, room):
    api = APIClient()
    api.force_authenticate(p.broker)
    base = f"/api/v1/deals/{room.pk}/"
    summary = api.get(base)
    assert summary.status_code == 200 and summary.json()["nda_template"] == nda.pk
    assert summary.json()["value_vnd"] is None
    listed = api.get("/api/v1/deals/").json()["results"]
    assert [d["value_vnd"] for d in listed if d["id"] == room.pk] == [None]
    for suffix in ("messages/", "terms/", "contract/", "signing-pdf/"):
        r = api.get(base + suffix)
        assert r.status_code == 403, (suffix, r.status_code)
        assert SECRET_BODY not in r.content.decode() and TERMS["field_of_use"] not in r.content.decode()
    assert api.post(base + "messages/", {"body": "Sớm"}, format="json").status_code == 403
    before = TermSheet.objects.filter(deal=room).count()
    assert api.post(base + "terms/", TERMS, format="json").status_code == 403
    assert TermSheet.objects.filter(deal=room).count() == before

    r = api.post(base + "broker-accept-nda/", {"text_sha256": nda.sha256}, format="json")
    assert r.status_code == 200 and r.json()["value_vnd"] == room.value_vnd
    bodies = [m["body"] for m in api.get(base + "messages/").json()]
    assert SECRET_BODY in bodies
    assert api.get(base + "terms/").status_code == 200 and api.get(base + "contract/").status_code == 200
    assert api.get(base + "signing-pdf/").status_code in (200, 404)  # 404 only without fpdf2 / the font


def test_services_refuse_participation_before_the_nda(p, nda, room):
    with pytest.raises(NotPermitted):
        services.deal_send_message(actor=p.broker, deal=room, body="x")
    services.deal_broker_accept_nda(actor=p.broker, deal=room, text_sha256=nda.sha256)
    assert services.deal_send_message(actor=p.broker, deal=room, body="Gợi ý").side == "broker"


# --- after the deal ends -------------------------------------------------------------------------------
ENDED = "Giao dịch đã kết thúc nên không thể chấp nhận thỏa thuận bảo mật nữa"


def test_after_the_deal_ends_a_broker_who_never_accepted_stays_outside_but_keeps_the_summary(
    client, p, nda, room
):
    """The rule (``lifecycle.BROKER_NDA_STATES``): the NDA can be accepted while the deal is live; once it
    ended, a broker who never accepted gets no confidential access, and is told so instead of being asked
    to accept an NDA that can no longer be accepted. The summary, the deal list and the ratings stay."""
    from exchange.deals.lifecycle import WrongState
    from exchange.deals.models import NdaAcceptance

    services.deal_cancel(actor=p.researcher, deal=room, reason="Hai bên dừng đàm phán")
    room.refresh_from_db()
    assert dperms.can_view(p.broker, room) and not dperms.can_view_confidential(p.broker, room)
    assert dperms.broker_nda_closed(p.broker, room)
    with pytest.raises(WrongState, match=ENDED):
        services.deal_broker_accept_nda(actor=p.broker, deal=room, text_sha256=nda.sha256)

    client.force_login(p.broker)
    url = reverse("deals:room", args=[room.pk])
    page = client.get(url).content.decode()
    assert room.listing.title in page and ENDED in page
    assert "broker_accept_nda" not in page and SECRET_BODY not in page
    response = client.post(
        reverse("deals:action", args=[room.pk, "broker_accept_nda"]),
        {"text_sha256": nda.sha256, "agree": "on"},
        follow=True,
    )
    assert ENDED in response.content.decode()
    assert not NdaAcceptance.objects.filter(deal=room, user=p.broker).exists()
    assert client.get(reverse("deals:contract", args=[room.pk])).status_code == 403
    value = f"{room.value_vnd:,}".replace(",", ".")
    listing_page = client.get(reverse("deals:list")).content.decode()
    assert room.listing.title in listing_page and value not in listing_page

    api = APIClient()
    api.force_authenticate(p.broker)
    base = f"/api/v1/deals/{room.pk}/"
    assert api.get(base).status_code == 200 and api.get(base).json()["value_vnd"] is None
    r = api.post(base + "broker-accept-nda/", {"text_sha256": nda.sha256}, format="json")
    assert r.status_code in (400, 409) and ENDED in r.content.decode()
    assert api.get(base + "messages/").status_code == 403
    assert api.get(base + "ratings/").status_code == 200


def test_a_broker_who_accepted_before_the_end_keeps_reading_the_room(client, p, nda, room):
    services.deal_broker_accept_nda(actor=p.broker, deal=room, text_sha256=nda.sha256)
    services.deal_cancel(actor=p.researcher, deal=room, reason="Hai bên dừng đàm phán")
    room.refresh_from_db()
    assert dperms.can_view_confidential(p.broker, room) and not dperms.broker_nda_closed(p.broker, room)
    client.force_login(p.broker)
    page = client.get(reverse("deals:room", args=[room.pk])).content.decode()
    assert SECRET_BODY in page and ENDED not in page
