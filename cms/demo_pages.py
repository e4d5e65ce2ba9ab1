"""Editorial demo content for ``seed_demo``: the home page's blocks, news, two upcoming events, the
support-service pages, a FAQ, the policy library, contact and statistics pages, editors' navigation,
and English translations (home, news index with one article, events). Idempotent: pages are found by
slug under their parent and only created when missing; every page says it is demo content."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from .models import (
    ContactFormField,
    ContactPage,
    DocumentLibraryPage,
    EventIndexPage,
    EventPage,
    FaqPage,
    FooterLink,
    HomePage,
    MenuItem,
    NewsArticlePage,
    NewsIndexPage,
    PolicyDocument,
    SectionIndexPage,
    SiteNavigation,
    StandardPage,
    StatisticsPage,
    SupportServicePage,
)

DEMO_NOTE = "(Nội dung mẫu)"
DEMO_NOTE_EN = "(Demo content)"


def _child(parent: Page, model, slug: str, **fields):
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        return existing.specific
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _p(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def _home_content(support: Page, stats: Page) -> list[dict]:
    return [
        {
            "type": "counters",
            "value": {
                "heading": "Sàn trong con số",
                "counters": ["offers", "requests", "organizations", "deals", "events"],
            },
        },
        {
            "type": "featured_technologies",
            "value": {
                "heading": "Công nghệ môi trường và nông nghiệp",
                "listing_ids": [],
                "kind": "offer",
                "field_code": "4",
                "limit": 3,
            },
        },
        {
            "type": "cta",
            "value": {
                "heading": "Cần hỗ trợ định giá, pháp lý hay môi giới?",
                "text": "Chuyên viên của sàn tư vấn miễn phí lần đầu và báo giá rõ ràng trước khi thực hiện.",
                "button_text": "Xem các dịch vụ hỗ trợ",
                "page": support.pk,
                "url": "",
            },
        },
        {
            "type": "cta",
            "value": {
                "heading": "Số liệu hoạt động của sàn",
                "text": "Tin đăng, giao dịch, dịch vụ và sự kiện theo từng kỳ, cập nhật trực tiếp.",
                "button_text": "Xem số liệu",
                "page": stats.pk,
                "url": "",
            },
        },
    ]


NEWS = [
    (
        "san-ra-mat-phien-ban-moi",
        "Sàn giao dịch công nghệ TP.HCM ra mắt phiên bản mới",
        "Phiên bản mới cho phép doanh nghiệp tìm công nghệ không cần gõ dấu, bày tỏ quan tâm "
        "và ký thỏa thuận "
        "bảo mật trực tuyến.",
        20,
    ),
    (
        "ket-noi-cung-cau-nong-nghiep-cong-nghe-cao",
        "Kết nối cung – cầu công nghệ nông nghiệp công nghệ cao",
        "Hơn 40 công nghệ của các trường, viện được giới thiệu tới hợp tác xã và doanh nghiệp nông nghiệp "
        "khu vực phía Nam.",
        9,
    ),
    (
        "huong-dan-dinh-gia-cong-nghe",
        "Hướng dẫn định giá công nghệ trước khi chuyển giao",
        "Ba phương pháp định giá (chi phí, thị trường, thu nhập) và khi nào nên dùng phương pháp nào.",
        3,
    ),
]

SERVICES = [
    ("tu-van", "Tư vấn chuyển giao công nghệ", "consulting", "Miễn phí buổi tư vấn đầu tiên"),
    ("dinh-gia", "Định giá công nghệ", "valuation", "Theo báo giá, từ 15.000.000 ₫"),
    ("ra-soat-hop-dong", "Rà soát pháp lý, hợp đồng", "legal_review", "Theo báo giá"),
    (
        "dang-ky-chuyen-giao",
        "Hỗ trợ đăng ký hợp đồng chuyển giao công nghệ",
        "registration_assistance",
        "Theo báo giá",
    ),
]

FAQS = [
    (
        "Ai được đăng công nghệ lên sàn?",
        "Trường, viện, doanh nghiệp và nhà sáng chế đã xác minh tổ chức. Tin đăng được bộ phận chuyển giao "
        "(TTO) của tổ chức duyệt trước khi kiểm duyệt viên của sàn đăng.",
    ),
    (
        "Tìm công nghệ có cần gõ tiếng Việt có dấu không?",
        "Không. Ô tìm kiếm hiểu cả “xu ly nuoc thai” lẫn “xử lý nước thải”.",
    ),
    (
        "Thông tin mật của công nghệ được bảo vệ thế nào?",
        "Tài liệu mật chỉ mở cho bên quan tâm sau khi hai bên chấp nhận thỏa thuận bảo mật trên sàn.",
    ),
    (
        "Sàn thu phí như thế nào?",
        "Đăng tin và tìm kiếm miễn phí; dịch vụ hỗ trợ có báo giá trước; "
        "phí giao dịch theo biểu phí công khai.",
    ),
]

POLICIES = [
    ("Luật Chuyển giao công nghệ", "07/2017/QH14", "law", dt.date(2017, 6, 19)),
    ("Nghị định hướng dẫn Luật Chuyển giao công nghệ", "76/2018/NĐ-CP", "decree", dt.date(2018, 5, 15)),
    ("Luật Sở hữu trí tuệ (sửa đổi, bổ sung)", "07/2022/QH15", "law", dt.date(2022, 6, 16)),
    ("Hướng dẫn đăng tin công nghệ trên sàn", "HD-01/SGDCN", "guide", dt.date(2026, 1, 5)),
]


def _document(title: str, number: str):
    from wagtail.documents import get_document_model

    Document = get_document_model()
    doc_title = f"{number} – {title}"
    existing = Document.objects.filter(title=doc_title).first()
    if existing is not None:
        return existing
    text = (
        f"{title}\nSố hiệu: {number}\n\n{DEMO_NOTE} Bản tóm tắt phục vụ trình diễn; "
        "văn bản chính thức tra cứu tại "
        "Cơ sở dữ liệu quốc gia về văn bản pháp luật (vbpl.vn).\n"
    )
    slug = number.replace("/", "-").lower()
    doc = Document(title=doc_title)
    doc.file.save(f"{slug}.txt", ContentFile(text.encode("utf-8")), save=False)
    doc.save()
    return doc


def _translate(page: Page, locale: Locale, **fields) -> Page:
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translated = page.copy_for_translation(locale, copy_parents=True).specific
    for name, value in fields.items():
        setattr(translated, name, value)
    translated.save_revision().publish()
    return translated


def seed_pages() -> str:
    home = HomePage.objects.filter(locale=Locale.get_default()).first() or HomePage.objects.first()
    if home is None:
        return "no home page: editorial content skipped"
    english, _ = Locale.objects.get_or_create(language_code="en")
    today = timezone.localdate()

    about = _child(
        home,
        StandardPage,
        "gioi-thieu",
        title="Giới thiệu sàn",
        intro=f"Sàn giao dịch công nghệ Thành phố Hồ Chí Minh kết nối nhà khoa học với doanh nghiệp. "
        f"{DEMO_NOTE}",
        body=[
            _p(
                "Sàn do Sở Khoa học và Công nghệ TP.HCM chủ trì, "
                "vận hành cùng các trường, viện và doanh nghiệp."
            )
        ],
    )
    news = _child(
        home,
        NewsIndexPage,
        "tin-tuc",
        title="Tin tức",
        intro="Tin hoạt động của sàn và thị trường công nghệ.",
    )
    articles = []
    for slug, title, intro, days_ago in NEWS:
        articles.append(
            _child(
                news,
                NewsArticlePage,
                slug,
                title=title,
                date=today - dt.timedelta(days=days_ago),
                intro=intro,
                body=[_p(intro), _p(f"{DEMO_NOTE} Bài viết minh họa cho bản trình diễn của sàn.")],
            )
        )
    events = _child(
        home,
        EventIndexPage,
        "su-kien",
        title="Sự kiện",
        intro="Techmart, ngày trình diễn công nghệ, gọi vốn.",
    )
    techmart_start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=30), dt.time(8, 0)))
    techmart = _child(
        events,
        EventPage,
        "techmart-2026",
        title="Chợ công nghệ và thiết bị (Techmart) TP.HCM",
        start=techmart_start,
        end=techmart_start + dt.timedelta(days=1, hours=9),
        venue="Trung tâm Hội chợ và Triển lãm Sài Gòn (SECC)",
        address="799 Nguyễn Văn Linh, phường Tân Mỹ, TP.HCM",
        intro=f"Hơn 300 công nghệ, thiết bị của trường, viện và doanh nghiệp; "
        f"khu kết nối giao thương. {DEMO_NOTE}",
        capacity=300,
        registration_deadline=techmart_start - dt.timedelta(days=2),
        agenda=[
            {
                "type": "item",
                "value": {"time": "08:00", "title": "Đón khách, tham quan gian hàng", "speaker": ""},
            },
            {
                "type": "item",
                "value": {"time": "09:00", "title": "Khai mạc", "speaker": "Sở Khoa học và Công nghệ"},
            },
            {"type": "item", "value": {"time": "10:00", "title": "Phiên kết nối cung – cầu", "speaker": ""}},
        ],
        speakers=[
            {
                "type": "speaker",
                "value": {
                    "name": "TS. Nguyễn Minh Khoa",
                    "role": "Giám đốc sàn (nhân vật mẫu)",
                    "photo": None,
                    "bio": "",
                },
            },
        ],
        body=[_p("Doanh nghiệp đăng ký trước để được xếp lịch gặp nhà cung cấp công nghệ.")],
    )
    demo_start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=45), dt.time(13, 30)))
    demo_day = _child(
        events,
        EventPage,
        "demo-day-nong-nghiep",
        title="Ngày trình diễn công nghệ (Demo Day): Nông nghiệp công nghệ cao",
        start=demo_start,
        end=demo_start + dt.timedelta(hours=4),
        venue="Khu Công nghệ cao TP.HCM",
        online_url="https://meet.example.vn/demo-day",
        intro=f"Tám nhóm nghiên cứu trình diễn công nghệ trước nhà đầu tư và doanh nghiệp. {DEMO_NOTE}",
        capacity=60,
        agenda=[
            {"type": "item", "value": {"time": "13:30", "title": "Giới thiệu các nhóm", "speaker": ""}},
            {"type": "item", "value": {"time": "14:00", "title": "Trình diễn (8 × 10 phút)", "speaker": ""}},
            {"type": "item", "value": {"time": "16:00", "title": "Gặp gỡ nhà đầu tư", "speaker": ""}},
        ],
    )
    support = _child(
        home,
        SectionIndexPage,
        "dich-vu-ho-tro",
        title="Dịch vụ hỗ trợ",
        intro="Tư vấn, định giá, pháp lý và đăng ký chuyển giao công nghệ do chuyên viên của sàn thực hiện.",
    )
    for slug, title, kind, fee in SERVICES:
        _child(
            support,
            SupportServicePage,
            slug,
            title=title,
            service_kind=kind,
            fee_note=fee,
            intro=f"{title}: chuyên viên của sàn tiếp nhận, báo giá và thực hiện. {DEMO_NOTE}",
            body=[_p("Gửi yêu cầu trực tuyến; sàn phản hồi trong hai ngày làm việc.")],
        )
    faq = _child(
        home,
        FaqPage,
        "hoi-dap",
        title="Câu hỏi thường gặp",
        intro=DEMO_NOTE,
        faqs=[{"type": "faq", "value": {"question": q, "answer": f"<p>{a}</p>"}} for q, a in FAQS],
    )
    library = _child(
        home,
        DocumentLibraryPage,
        "van-ban-chinh-sach",
        title="Văn bản chính sách",
        intro=f"Luật, nghị định và hướng dẫn về chuyển giao công nghệ. {DEMO_NOTE}",
    )
    if not library.documents.exists():
        for order, (title, number, category, issued) in enumerate(POLICIES):
            PolicyDocument.objects.create(
                page=library,
                sort_order=order,
                document=_document(title, number),
                title=title,
                number=number,
                category=category,
                issued_on=issued,
            )
    contact = home.get_children().filter(slug="lien-he").first()
    if contact is None:
        contact = ContactPage(
            slug="lien-he",
            title="Liên hệ",
            address="Sàn giao dịch công nghệ TP.HCM (địa chỉ mẫu)\n244 Điện Biên Phủ, TP.HCM",
            to_address="lienhe@techex.local",
            from_address="no-reply@techex.local",
            subject="Liên hệ từ trang web sàn",
        )
        home.add_child(instance=contact)
        for order, (label, field_type, required) in enumerate(
            [
                ("Họ và tên", "singleline", True),
                ("Thư điện tử", "email", True),
                ("Nội dung", "multiline", True),
            ]
        ):
            ContactFormField.objects.create(
                page=contact, sort_order=order, label=label, field_type=field_type, required=required
            )
        contact.save_revision().publish()
    stats = _child(
        home,
        StatisticsPage,
        "thong-ke",
        title="Số liệu thống kê",
        intro="Tin công nghệ, giao dịch, dịch vụ và sự kiện của sàn theo kỳ.",
    )
    if not home.content:
        home.content = _home_content(support, stats)
        home.save_revision().publish()

    # English translations: the home page, the news index with one article, the events.
    home_en = _translate(
        home,
        english,
        title="HCMC Technology Exchange",
        intro_vi=home.intro_en or home.intro_vi,
        content=[
            {
                "type": "counters",
                "value": {
                    "heading": "The exchange in numbers",
                    "counters": ["offers", "requests", "organizations", "deals", "events"],
                },
            },
            {
                "type": "cta",
                "value": {
                    "heading": "Need help with valuation, legal review or brokerage?",
                    "text": "The exchange's advisers give a first consultation free "
                    "and quote before any work.",
                    "button_text": "See support services",
                    "page": support.pk,
                    "url": "",
                },
            },
        ],
    )
    news_en = _translate(
        news, english, title="News", intro="News from the exchange and the technology market."
    )
    _translate(
        articles[0],
        english,
        title="The HCMC Technology Exchange launches a new version",
        intro="Businesses can now search without Vietnamese diacritics, "
        "express interest and accept NDAs online.",
        body=[
            _p("Businesses can now search without diacritics."),
            _p(f"{DEMO_NOTE_EN} An illustrative article."),
        ],
    )
    events_en = _translate(events, english, title="Events", intro="Techmarts, demo days and pitching days.")
    _translate(
        techmart,
        english,
        title="HCMC Techmart: technologies and equipment",
        intro=f"More than 300 technologies. {DEMO_NOTE_EN}",
    )
    _translate(
        demo_day,
        english,
        title="Demo Day: high-tech agriculture",
        intro=f"Eight research teams on stage. {DEMO_NOTE_EN}",
    )
    del news_en, events_en, home_en, about

    _seed_navigation(news, events, support, stats, library, contact, faq)
    pages = Page.objects.filter(depth__gt=1).count()
    return f"{pages} site pages (news, 2 events, support services, FAQ, library) with English translations"


def _seed_navigation(news, events, support, stats, library, contact, faq) -> None:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    nav = SiteNavigation.for_site(site)
    if nav.menu_items.exists() or nav.footer_links.exists():
        return
    for order, (page, vi, en) in enumerate(
        [
            (news, "Tin tức", "News"),
            (events, "Sự kiện", "Events"),
            (support, "Dịch vụ", "Services"),
            (stats, "Thống kê", "Statistics"),
        ]
    ):
        MenuItem.objects.create(setting=nav, sort_order=order, label_vi=vi, label_en=en, link_page=page)
    for order, (page, vi, en) in enumerate(
        [
            (library, "Văn bản chính sách", "Policies"),
            (faq, "Hỏi đáp", "FAQ"),
            (contact, "Liên hệ", "Contact"),
        ]
    ):
        FooterLink.objects.create(setting=nav, sort_order=order, label_vi=vi, label_en=en, link_page=page)
    nav.footer_text_vi = "Sở Khoa học và Công nghệ TP.HCM (địa chỉ mẫu) · Điện thoại: 028 0000 0000"
    nav.footer_text_en = (
        "HCMC Department of Science and Technology (sample address) · Phone: +84 28 0000 0000"
    )
    nav.save()
