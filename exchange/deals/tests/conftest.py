import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.accounts.models import MembershipRole, OrganizationKind
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.deals import services
from exchange.deals.models import NdaTemplate
from listings import services as lservices
from listings.tests.factories import ListingFactory

PASSWORD = "s3cret-pass-123"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

TERMS = {
    "transaction_type": "exclusive_license",
    "field_of_use": "Xử lý nước thải dệt nhuộm",
    "territory": "Việt Nam",
    "term_months": 36,
    "upfront_fee_vnd": 500_000_000,
    "milestones": [{"label": "Nghiệm thu pilot", "amount_vnd": 200_000_000, "due": "2027-06-30"}],
    "royalty_percent": "3.5",
    "minimum_annual_royalty_vnd": 100_000_000,
    "improvements": "Cải tiến thuộc bên tạo ra.",
    "support_training": "Đào tạo 5 kỹ sư trong 2 tuần.",
    "other_terms": "",
}


class People(dict):
    def __getattr__(self, name):
        return self[name]


@pytest.fixture
def p(db):
    """Seller (university) and buyer (enterprise) with members and signatories, plus outsiders."""
    seller_org = OrganizationFactory()
    buyer_org = OrganizationFactory(
        kind=OrganizationKind.objects.get(code="enterprise"), name="Công ty Nước Sạch"
    )
    researcher = MembershipFactory(organization=seller_org, user=UserFactory(roles=["researcher"])).user
    seller_signatory = MembershipFactory(organization=seller_org, role=MembershipRole.TTO_MANAGER).user
    buyer = MembershipFactory(organization=buyer_org, user=UserFactory(roles=["business"])).user
    buyer_signatory = MembershipFactory(organization=buyer_org, role=MembershipRole.SIGNATORY).user
    listing = ListingFactory(published=True, organization=seller_org, created_by=researcher)
    secret = lservices.listing_attachment_add(
        actor=researcher,
        listing=listing,
        file=SimpleUploadedFile("bi-quyet.pdf", PDF, content_type="application/pdf"),
        confidential=True,
    )
    return People(
        seller_org=seller_org,
        buyer_org=buyer_org,
        researcher=researcher,
        seller_signatory=seller_signatory,
        buyer=buyer,
        buyer_signatory=buyer_signatory,
        listing=listing,
        secret=secret,
        third=MembershipFactory(organization=OrganizationFactory()).user,
        stranger=UserFactory(),
        staff=UserFactory(roles=["staff"]),
        broker=UserFactory(roles=["broker"]),
        anonymous=AnonymousUser(),
    )


@pytest.fixture
def nda():
    return NdaTemplate.objects.get(organization=None, code="standard", language="vi")


@pytest.fixture
def flow(p, nda):
    """Helpers that drive a deal to a given state through the services."""

    class Flow:
        def inquiry(self):
            return services.deal_create_inquiry(
                actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="Chúng tôi quan tâm."
            )

        def negotiating(self):
            deal = self.inquiry()
            services.deal_accept(actor=p.researcher, deal=deal, nda_template=nda)
            services.deal_accept_nda(actor=p.buyer, deal=deal, text_sha256=nda.sha256)
            return deal

        def agreed(self):
            deal = self.negotiating()
            sheet = services.deal_propose_terms(actor=p.researcher, deal=deal, terms=TERMS)
            services.deal_accept_terms(actor=p.buyer, deal=deal, term_sheet=sheet)
            return deal

        def contract_ready(self):
            deal = self.agreed()
            services.deal_generate_contract(actor=p.researcher, deal=deal)
            return deal

        def signed(self):
            deal = self.contract_ready()
            services.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD)
            services.deal_sign(actor=p.buyer_signatory, deal=deal, password=PASSWORD)
            return deal

        def executing(self):
            deal = self.signed()
            services.deal_start_execution(actor=p.researcher, deal=deal)
            return deal

    return Flow()
