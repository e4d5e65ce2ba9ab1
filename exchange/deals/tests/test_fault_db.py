"""Fault test (issue #11): a database error in the middle of a deal transition.

``deal_accept`` with an NDA is two transitions in one transaction (accept, then require the NDA), each
with its audit row and notifications; ``deal_start_execution`` writes the milestones before the state.
The driver-level ``OperationalError`` of ``exchange.core.tests.db_faults`` hits the last write of each:
nothing partial remains (state, NDA, milestones, audit rows, notifications) and the same call succeeds
afterwards. Runs on SQLite and on PostgreSQL (``scripts/pg-test.sh``).
"""

import pytest
from django.db import OperationalError
from django.urls import reverse

from exchange.core.models import AuditLog, Notification
from exchange.core.tests.db_faults import fail_on
from exchange.deals import services
from exchange.deals.lifecycle import DealState as S
from exchange.deals.models import Deal, DealMilestone

pytestmark = pytest.mark.django_db


def _counts(deal):
    return (
        AuditLog.objects.filter(action__startswith="deal.").count(),
        Notification.objects.count(),
        DealMilestone.objects.filter(deal=deal).count(),
    )


def test_accept_with_nda_rolls_back_both_steps(p, flow, nda, django_capture_on_commit_callbacks):
    deal = flow.inquiry()
    before = _counts(deal)
    # the accept's audit row is INSERT #1, the NDA requirement's #2: fail the second
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        fail_on("core_auditlog", nth=2),
        pytest.raises(OperationalError),
    ):
        services.deal_accept(actor=p.researcher, deal=deal, nda_template=nda)
    fresh = Deal.objects.get(pk=deal.pk)
    assert fresh.state == S.INQUIRY and fresh.nda_template_id is None
    assert _counts(deal) == before
    assert callbacks == []  # no email queued for a change that did not happen

    services.deal_accept(actor=p.researcher, deal=fresh, nda_template=nda)
    assert Deal.objects.get(pk=deal.pk).state == S.NDA_PENDING


def test_start_execution_rolls_back_the_milestones(p, flow):
    deal = flow.signed()
    before = _counts(deal)
    with fail_on("core_notification"), pytest.raises(OperationalError):
        services.deal_start_execution(actor=p.researcher, deal=deal)
    assert Deal.objects.get(pk=deal.pk).state == S.SIGNED
    assert _counts(deal) == before  # no milestone rows without the state that owns them
    services.deal_start_execution(actor=p.researcher, deal=Deal.objects.get(pk=deal.pk))
    assert Deal.objects.get(pk=deal.pk).state == S.EXECUTING
    assert DealMilestone.objects.filter(deal=deal).exists()


def test_room_action_shows_a_clear_error_and_changes_nothing(client, p, flow, caplog):
    """Through the room's button: no 500 page, the deal as it was, the reason logged, retry works."""
    deal = flow.signed()
    before = _counts(deal)
    client.force_login(p.researcher)
    url = reverse("deals:action", args=[deal.pk, "start_execution"])
    with fail_on("core_notification"), caplog.at_level("ERROR", logger="exchange.deals.views"):
        response = client.post(url, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == deal.get_absolute_url()
    page = response.content.decode()
    assert "chưa có gì thay đổi. Vui lòng thử lại." in page
    assert "Đã cập nhật giao dịch." not in page
    assert Deal.objects.get(pk=deal.pk).state == S.SIGNED
    assert _counts(deal) == before
    assert any("injected fault" in (r.exc_text or "") for r in caplog.records)  # logged with its traceback

    client.post(url)
    assert Deal.objects.get(pk=deal.pk).state == S.EXECUTING
