"""Services: audit rows, notifications, validation, and the demo seed."""

import pytest

from exchange.accounts.tests.factories import UserFactory
from exchange.core.models import AuditLog, Notification
from valuation import demo, services
from valuation.models import Comparable, Valuation, ValuationVersion

pytestmark = [pytest.mark.django_db]


def test_state_changes_are_audited_and_people_told(p):
    actions = set(AuditLog.objects.filter(action__startswith="valuation.").values_list("action", flat=True))
    assert {"valuation.create", "valuation.assign_appraiser"} <= actions
    assert Notification.objects.filter(recipient=p.appraiser, kind="valuation_appraiser_assigned").exists()
    version = services.valuation_save_version(actor=p.owner, valuation=p.valuation, note="v1")
    services.valuation_publish_report(actor=p.appraiser, valuation=p.valuation, version=version, opinion="OK")
    assert Notification.objects.filter(recipient=p.owner, kind="valuation_report_published").exists()
    assert AuditLog.objects.filter(action="valuation.publish_report").exists()


def test_create_validates_title_and_methods(p):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.valuation_create(actor=p.owner, title=" ", methods=["dcf"])
    with pytest.raises(ValidationError):
        services.valuation_create(actor=p.owner, title="x", methods=[])
    with pytest.raises(ValidationError):
        services.valuation_create(actor=p.owner, title="x", methods=["astrology"])
    with pytest.raises(ValidationError):
        services.valuation_create(actor=p.owner, title="x", methods=["dcf"], inputs={"evil": 1})


def test_one_methods_error_spares_the_others(p):
    valuation = services.valuation_create(
        actor=p.owner,
        title="x",
        methods=["dcf", "rule_25"],
        inputs={"dcf": {"cash_flows": []}, "rule_25": {"revenue": 1e9, "operating_margin": 0.2}},
    )
    methods = valuation.results["methods"]
    assert methods["dcf"]["error"]["input"] == "cash_flows"
    assert methods["rule_25"]["value"] == 50_000_000


def test_demo_seed_is_repeatable(p):
    owner = UserFactory()
    first = demo.seed(owner=owner, appraiser=p.appraiser)
    demo.seed(owner=owner, appraiser=p.appraiser)
    assert "valuation #" in first
    assert Comparable.objects.filter(is_demo=True).count() == len(demo.COMPARABLES)
    valuation = Valuation.objects.get(owner=owner, is_demo=True)
    assert ValuationVersion.objects.filter(valuation=valuation).count() == 1
    results = valuation.results["methods"]
    assert all("error" not in r for r in results.values()), results
    assert results["market"]["details"]["count"] == 4
    assert results["relief_from_royalty"]["range"]["p10"] < results["relief_from_royalty"]["range"]["p90"]
