"""The card page alone may load Stripe.js (localstripe's here, js.stripe.com in production)."""

import pytest
from django.urls import reverse

from exchange.deals.models import DealMilestone
from exchange.payments import services
from exchange.payments.conf import stripe_csp_sources

pytestmark = pytest.mark.django_db


def _directives(response):
    return {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ")}


@pytest.fixture
def small_pr(p, executing, stripe_settings):
    milestone = DealMilestone.objects.create(
        deal=executing, kind="payment", label="Phí dịch vụ hỗ trợ", amount_vnd=5_000_000, position=9
    )
    return services.payment_request_create(actor=p.seller_signatory, milestone=milestone)


def test_card_page_allows_localstripe_and_only_there(
    p, small_pr, stripe_settings, localstripe_server, client
):
    client.force_login(p.buyer)
    response = client.get(reverse("payments:card", args=[small_pr.reference]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="{localstripe_server}/js.stripe.com/v3/"' in html
    assert "<script>" not in html  # the page's own code is a static file
    csp = _directives(response)
    assert localstripe_server in csp["script-src"] and "'self'" in csp["script-src"]
    assert localstripe_server in csp["connect-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    other = client.get(small_pr.get_absolute_url())
    assert localstripe_server not in other["Content-Security-Policy"]


def test_production_stripe_sources(settings):
    settings.STRIPE_API_BASE = ""
    sources = stripe_csp_sources()
    assert "https://js.stripe.com" in sources["script-src"]
    assert "https://hooks.stripe.com" in sources["frame-src"]
    assert sources["connect-src"] == ["https://api.stripe.com"]
