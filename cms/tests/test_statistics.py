"""Statistics selectors against created data, the public page, the staff dashboard and the yearly
report files, with permissions (staff only for the dashboard and the report)."""

import datetime as dt
import io
import os

import pytest
from django.utils import timezone

from cms import statistics as st
from cms.models import EventRegistration, StatisticsPage
from exchange.accounts.tests.factories import OrganizationFactory, UserFactory
from exchange.core.models import Province
from exchange.deals.models import Deal, NdaAcceptance, NdaTemplate
from exchange.support.models import ServiceRequest
from listings.models import Listing, ScienceField
from listings.tests.factories import ListingFactory, RequestListingFactory
from regional_network.models import Peer

from .conftest import add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]

PERIOD = st.Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def stamp(obj, **fields):
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    obj.refresh_from_db()
    return obj


@pytest.fixture
def data(make_event):
    org_a = OrganizationFactory(name="Trường A")
    org_b = OrganizationFactory(name="Viện B")
    hcm = Province.objects.order_by("pk").first()
    field_207 = ScienceField.objects.get(code="2.07")
    other_field = ScienceField.objects.exclude(pk=field_207.pk).filter(parent__isnull=False).first()
    offers = [
        stamp(
            ListingFactory(published=True, organization=org_a, trl=6, province=hcm),
            created_at=at("2026-01-15"),
        ),
        stamp(ListingFactory(published=True, organization=org_a, trl=6), created_at=at("2026-02-03")),
        stamp(
            ListingFactory(published=True, organization=org_b, trl=8, field=other_field),
            created_at=at("2026-02-20"),
        ),
        stamp(ListingFactory(state="submitted", organization=org_b, trl=3), created_at=at("2026-03-01")),
    ]
    stamp(RequestListingFactory(published=True, organization=org_b), created_at=at("2026-03-10"))
    # Outside the period, a draft and a federated listing: never counted as ours.
    stamp(ListingFactory(published=True, organization=org_a), created_at=at("2025-12-31", 23))
    stamp(ListingFactory(organization=org_a), created_at=at("2026-02-01"))
    Peer.objects.create(
        name="Sàn Đồng Nai", origin="dongnai", base_url="https://dn.example.vn", public_key="x"
    )
    for _ in range(2):
        stamp(ListingFactory(published=True, origin="dongnai"), created_at=at("2026-02-01"))
    # Deals: three opened in the period (one signed after 30 days, one accepted with an NDA, one declined),
    # one opened before the period but signed in it after 50 days.
    buyer = OrganizationFactory(name="Công ty C")
    user = UserFactory()
    nda = NdaTemplate.objects.filter(organization=None).first()

    def deal(state, created, signed=None, value=None):
        d = Deal.objects.create(
            listing=offers[0],
            buyer_organization=buyer,
            seller_organization=org_a,
            initiated_by=user,
            state=state,
            value_vnd=value,
        )
        return stamp(d, created_at=created, signed_at=signed)

    signed = deal("signed", at("2026-02-01"), at("2026-03-03"), 300_000_000)
    accepted = deal("negotiating", at("2026-04-01"))
    deal("declined", at("2026-04-02"))
    deal("executing", at("2025-11-11"), at("2025-12-31"), 1_000_000_000)  # signed outside the period
    deal("signed", at("2025-12-01"), at("2026-01-20"), 200_000_000)
    for d in (signed, accepted):
        stamp(
            NdaAcceptance.objects.create(
                deal=d,
                template=nda,
                user=user,
                user_name="A",
                organization=buyer,
                side="buyer",
                text="x",
                text_sha256="0" * 64,
            ),
            accepted_at=at("2026-04-05"),
        )
    # Services: two delivered in the period, one requested only.
    for kind, delivered in (
        ("valuation", at("2026-05-01")),
        ("valuation", at("2026-05-02")),
        ("legal_review", None),
    ):
        stamp(
            ServiceRequest.objects.create(
                kind=kind, requester=user, description="x", state="delivered" if delivered else "new"
            ),
            created_at=at("2026-04-20"),
            delivered_at=delivered,
        )
    # Events: one in the period with registrations.
    event = make_event(capacity=1, slug="in-period")
    stamp(event, start=at("2026-05-10"), end=at("2026-05-10", 17))
    for i, status in enumerate(["confirmed", "waitlisted", "cancelled"]):
        EventRegistration.objects.create(event=event, name=f"N{i}", email=f"n{i}@x.vn", status=status)
    return {"offers": offers, "org_a": org_a, "hcm": hcm, "field": field_207}


def test_listing_figures(data):
    totals = st.listing_totals(PERIOD)
    assert totals["offers"] == 4 and totals["requests"] == 1 and totals["organizations"] == 2
    assert dict(st.listings_by_trl(PERIOD)) == {"TRL 3": 1, "TRL 6": 2, "TRL 8": 1}
    by_field = dict(st.listings_by_field(PERIOD))
    assert by_field[f"2.07 {data['field'].name}"] == 4  # 2 offers + submitted + request
    assert dict(st.listings_by_organization(PERIOD)) == {"Trường A": 2, "Viện B": 3}
    assert dict(st.listings_by_province(PERIOD))[data["hcm"].name] == 1
    states = dict(st.listings_by_state(PERIOD))
    assert sum(states.values()) == 5 and states["Đang đăng"] == 4
    months = st.listings_by_month(PERIOD)
    assert [m.month for m, _, _ in months] == [1, 2, 3, 4, 5, 6]
    assert [(o, r) for _, o, r in months] == [(1, 0), (2, 0), (1, 1), (0, 0), (0, 0), (0, 0)]
    assert dict(st.federated_by_exchange(PERIOD)) == {"Sàn Đồng Nai": 2}


def test_deal_figures(data):
    deals = st.deal_summary(PERIOD)
    assert deals["inquiries"] == 3
    assert dict(deals["funnel"]) == {
        "inquiry": 3,
        "accepted": 2,
        "nda": 2,
        "negotiating": 2,
        "signed": 1,
        "completed": 0,
    }
    assert dict(deals["by_stage"]) == {"Đã ký hợp đồng": 1, "Đang đàm phán": 1, "Đã từ chối": 1}
    assert deals["nda_acceptances"] == 2 and deals["nda_deals"] == 2
    assert deals["contracts_signed"] == 2  # signed in the period, whenever opened
    assert deals["value_vnd"] == 500_000_000
    assert deals["avg_days_to_contract"] == pytest.approx((30 + 50) / 2, abs=0.1)


def test_services_and_events(data):
    services = st.service_summary(PERIOD)
    assert services == {"requested": 3, "delivered": 2, "delivered_by_kind": [("Định giá công nghệ", 2)]}
    events = st.event_summary(PERIOD)
    assert (events["events"], events["confirmed"], events["waitlisted"], events["cancelled"]) == (1, 1, 1, 1)


def test_aggregates_run_a_bounded_number_of_queries(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        st.summary(PERIOD)


def test_periods():
    default = st.default_period(dt.date(2026, 11, 15))
    assert (default.start, default.end) == (dt.date(2025, 11, 16), dt.date(2026, 11, 15))
    assert st.period_from_params({"year": "2025"}) == st.Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert st.period_from_params({"start": "2026-02-01", "end": "2026-03-01"}).end == dt.date(2026, 3, 1)
    assert st.period_from_params({"start": "2026-05-01", "end": "2026-03-01"}) == st.default_period()
    assert st.period_from_params({"start": "rác"}) == st.default_period()


def test_public_statistics_page(client, data, home):
    page = add(home, StatisticsPage(title="Số liệu", slug="so-lieu"))
    response = client.get(page.url + "?start=2026-01-01&end=2026-06-30")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-stat="offers">4<' in html and 'data-stat="contracts">2<' in html
    assert html.count("<svg") >= 8 and "Sàn Đồng Nai" in html


# --- Staff dashboard and report ------------------------------------------------------------------------
def staff():
    user = UserFactory(roles=["staff"])
    user.is_staff = True  # the platform's staff also use the Wagtail admin
    user.save()
    return user


@pytest.fixture
def admin_client(client):
    from django.contrib.auth.models import Permission

    user = staff()
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url", ["/admin/statistics/", "/admin/statistics/report.xlsx", "/admin/statistics/report.pdf"]
)
def test_dashboard_and_report_refused_to_non_staff(client, url):
    from django.contrib.auth.models import Permission

    assert client.get(url).status_code == 302  # anonymous → login
    editor = UserFactory()  # may use the Wagtail admin (an editor), but is not exchange staff
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    refused = client.get(url)  # Wagtail turns PermissionDenied into a redirect to the dashboard
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    client.force_login(UserFactory(roles=["business"]))
    assert client.get(url).status_code == 302


def test_dashboard_for_staff(admin_client, data):
    response = admin_client.get("/admin/statistics/?start=2026-01-01&end=2026-06-30")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'data-stat="inquiries">3<' in html
    assert "/admin/statistics/report.xlsx?start=2026-01-01&amp;end=2026-06-30" in html
    assert admin_client.get("/admin/statistics/report.doc").status_code == 404


def test_xlsx_report(admin_client, data):
    from openpyxl import load_workbook

    response = admin_client.get("/admin/statistics/report.xlsx?start=2026-01-01&end=2026-06-30")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="bao-cao-san-cong-nghe_20260101-20260630.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    rows = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    assert rows["Công nghệ chào bán mới"] == 4
    assert rows["Hợp đồng đã ký"] == 2
    assert rows["Giá trị hợp đồng đã ký (VND)"] == 500_000_000
    assert rows["Dịch vụ hỗ trợ đã hoàn thành"] == 2
    assert "01/01/2026 – 30/06/2026" in book.worksheets[0]["A2"].value
    assert book.worksheets[1].max_row == 7  # header + six months


def test_pdf_report_default_period(admin_client, data, caplog):
    from exchange.deals.pdf import pdf_available

    if not pdf_available():
        # scripts/test-deps.sh installs the fonts; in CI a missing font must fail, not skip.
        if os.environ.get("CI") == "true":
            pytest.fail("fpdf2/DejaVu fonts missing")
        pytest.skip("fpdf2/DejaVu fonts missing")
    response = admin_client.get("/admin/statistics/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    period = st.default_period()
    assert f"{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf" in response["Content-Disposition"]
    assert "could not be drawn" not in caplog.text  # the SVG charts are embedded too


def test_pdf_report_with_data_in_period(data):
    from cms.report import report_pdf

    content = report_pdf(PERIOD)
    assert content.startswith(b"%PDF") and len(content) > 20_000


def test_live_counters(data):
    counts = st.live_counters()
    assert counts["offers"] == Listing.objects.filter(state="published", kind="offer").count()
    assert counts["contracts"] == 3 and counts["services"] == 2
