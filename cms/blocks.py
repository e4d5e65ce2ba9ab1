"""StreamField blocks of the public site: hero, featured technologies, live counters, call to action, video.

Blocks that show listings or counters read through selectors when the page renders (a bounded handful of
queries per block), so what editors place on a page is always current and never shows an unpublished
listing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

from listings.models import ListingKind

FEATURED_LIMIT_MAX = 12


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("tiêu đề"), max_length=200)
    text = blocks.TextBlock(label=_("lời dẫn"), required=False, max_length=600)
    image = ImageChooserBlock(label=_("ảnh nền"), required=False)
    button_text = blocks.CharBlock(label=_("chữ trên nút"), required=False, max_length=60)
    button_page = blocks.PageChooserBlock(label=_("nút dẫn tới trang"), required=False)
    button_url = blocks.CharBlock(label=_("hoặc địa chỉ"), required=False, max_length=300)
    show_search = blocks.BooleanBlock(label=_("hiện ô tìm công nghệ"), required=False, default=False)

    class Meta:
        icon = "image"
        label = _("Ảnh bìa (hero)")
        template = "cms/blocks/hero.html"


class FeaturedTechnologiesBlock(blocks.StructBlock):
    """Cards of listings: the ones editors pick, or — when none is picked — a query (field, kind, limit)."""

    heading = blocks.CharBlock(label=_("tiêu đề"), max_length=200, required=False)
    listing_ids = blocks.ListBlock(
        blocks.IntegerBlock(min_value=1, label=_("mã tin")),
        label=_("tin do biên tập viên chọn (mã số tin)"),
        required=False,
        default=[],
    )
    kind = blocks.ChoiceBlock(
        choices=[("", _("Tất cả")), *ListingKind.choices], required=False, label=_("loại tin")
    )
    field_code = blocks.CharBlock(label=_("mã lĩnh vực (ví dụ 2.07)"), required=False, max_length=10)
    limit = blocks.IntegerBlock(label=_("số tin"), min_value=1, max_value=FEATURED_LIMIT_MAX, default=6)

    class Meta:
        icon = "list-ul"
        label = _("Thẻ công nghệ tiêu biểu")
        template = "cms/blocks/featured_technologies.html"

    def get_context(self, value, parent_context=None):
        from .selectors import featured_listings

        context = super().get_context(value, parent_context=parent_context)
        context["listings"] = featured_listings(
            ids=[i for i in (value.get("listing_ids") or []) if i],
            kind=value.get("kind") or None,
            field_code=(value.get("field_code") or "").strip() or None,
            limit=value.get("limit") or 6,
        )
        return context


COUNTER_CHOICES = [
    ("offers", _("Công nghệ đang chào bán")),
    ("requests", _("Nhu cầu công nghệ")),
    ("organizations", _("Tổ chức tham gia")),
    ("deals", _("Giao dịch đã khởi tạo")),
    ("contracts", _("Hợp đồng đã ký")),
    ("services", _("Dịch vụ hỗ trợ đã hoàn thành")),
    ("events", _("Sự kiện đã tổ chức")),
]


class StatisticsCountersBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("tiêu đề"), max_length=200, required=False)
    counters = blocks.MultipleChoiceBlock(
        choices=COUNTER_CHOICES, label=_("số liệu hiển thị"), default=["offers", "requests", "organizations"]
    )

    class Meta:
        icon = "order"
        label = _("Bộ đếm số liệu (trực tiếp)")
        template = "cms/blocks/counters.html"

    def get_context(self, value, parent_context=None):
        from .statistics import live_counters

        context = super().get_context(value, parent_context=parent_context)
        counts = live_counters()
        labels = dict(COUNTER_CHOICES)
        context["items"] = [
            {"code": code, "label": labels[code], "value": counts.get(code, 0)}
            for code in (value.get("counters") or [])
            if code in labels
        ]
        return context


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("tiêu đề"), max_length=200)
    text = blocks.TextBlock(label=_("nội dung"), required=False, max_length=600)
    button_text = blocks.CharBlock(label=_("chữ trên nút"), max_length=60)
    page = blocks.PageChooserBlock(label=_("trang đích"), required=False)
    url = blocks.CharBlock(label=_("hoặc địa chỉ"), required=False, max_length=300)

    class Meta:
        icon = "pick"
        label = _("Lời kêu gọi hành động")
        template = "cms/blocks/cta.html"


class VideoBlock(blocks.StructBlock):
    video = EmbedBlock(label=_("địa chỉ video (YouTube, Vimeo…)"))
    caption = blocks.CharBlock(label=_("chú thích"), required=False, max_length=300)

    class Meta:
        icon = "media"
        label = _("Video")
        template = "cms/blocks/video.html"


class AgendaItemBlock(blocks.StructBlock):
    time = blocks.CharBlock(label=_("giờ"), max_length=30)
    title = blocks.CharBlock(label=_("nội dung"), max_length=300)
    speaker = blocks.CharBlock(label=_("người trình bày"), required=False, max_length=200)

    class Meta:
        icon = "time"
        label = _("Mục chương trình")


class SpeakerBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("họ và tên"), max_length=200)
    role = blocks.CharBlock(label=_("chức danh, đơn vị"), required=False, max_length=300)
    photo = ImageChooserBlock(label=_("ảnh"), required=False)
    bio = blocks.TextBlock(label=_("giới thiệu"), required=False)

    class Meta:
        icon = "user"
        label = _("Diễn giả")


class FaqItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("câu hỏi"), max_length=300)
    answer = blocks.RichTextBlock(label=_("trả lời"), features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        icon = "help"
        label = _("Câu hỏi thường gặp")


def body_blocks() -> list[tuple[str, blocks.Block]]:
    """The blocks of a rich page body (home, standard, article, event description)."""
    return [
        ("hero", HeroBlock()),
        ("heading", blocks.CharBlock(label=_("tiêu đề mục"), icon="title", form_classname="title")),
        ("paragraph", blocks.RichTextBlock(label=_("đoạn văn"))),
        ("image", ImageChooserBlock(label=_("ảnh"))),
        ("featured_technologies", FeaturedTechnologiesBlock()),
        ("counters", StatisticsCountersBlock()),
        ("cta", CallToActionBlock()),
        ("video", VideoBlock()),
    ]
