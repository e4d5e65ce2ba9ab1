"""Wagtail pages of the exchange's public site, the editors' navigation and event registrations.

The home page is the root of each language's tree (Vietnamese first; English pages are Wagtail
translations, see docs in cms/README.md). Parent/child rules are strict so editors can only build the
intended structure: home → sections, news, events, library, FAQ, contact, statistics, support services.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Locale, Orderable, Page
from wagtail.search import index

from exchange.support.models import ServiceKind

from .blocks import AgendaItemBlock, FaqItemBlock, SpeakerBlock, body_blocks
from .content_language import field_fallback_language, with_content_locale
from .site_url import absolute_url

HOME_LATEST_COUNT = 6
HOME_FEATURED_MAX = 6
NEWS_PER_PAGE = 10
NAVIGATION_CACHE_SECONDS = 300


def i18n_enabled() -> bool:
    return bool(getattr(settings, "WAGTAIL_I18N_ENABLED", False))


# --- Shared page behaviour ---------------------------------------------------------------------------
class SeoFields(models.Model):
    """An Open Graph image in the promote tab and the language alternates of the page (hreflang)."""

    og_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("ảnh chia sẻ mạng xã hội"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Hiện khi trang được chia sẻ (Open Graph); nên 1200×630."),
    )

    promote_panels = [
        MultiFieldPanel(
            [
                FieldPanel("slug"),
                FieldPanel("seo_title"),
                FieldPanel("search_description"),
                FieldPanel("og_image"),
            ],
            _("Tối ưu tìm kiếm và chia sẻ"),
        ),
        MultiFieldPanel([FieldPanel("show_in_menus")], _("Trình đơn")),
    ]

    class Meta:
        abstract = True

    def seo_description(self) -> str:
        return self.search_description or getattr(self, "intro", "") or ""

    def page_alternates(self, request) -> list[dict] | None:
        """hreflang links to the live translations; a language without one points to the same path
        in that language (HomePage.route then serves the Vietnamese page). None without localisation."""
        if not i18n_enabled():
            return None
        translations = {
            page.locale.language_code: page
            for page in self.get_translations(inclusive=True).live().select_related("locale")
        }
        links = []
        for code, _name in settings.LANGUAGES:
            page = translations.get(code)
            if page is not None:
                href = absolute_url(page.get_url(request))
            else:
                href = translate_url(absolute_url(request.get_full_path()), code)
            links.append({"code": code, "href": href})
        return links

    def breadcrumb_ancestors(self):
        """The ancestors below the tree root, each knowing its content language (cms/_page_header.html)."""
        return with_content_locale(self.get_ancestors().filter(depth__gt=1))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        alternates = self.page_alternates(request)
        if alternates is not None:
            # canonical_url stays the requested address (cms.context_processors): an untranslated page
            # under /en/ is the English-interface alternate its hreflang links announce.
            context["alternate_urls"] = alternates
        return context


class SitePage(SeoFields, Page):
    class Meta:
        abstract = True


SECTION_CHILDREN = [
    "cms.StandardPage",
    "cms.SectionIndexPage",
    "cms.SupportServicePage",
    "cms.DocumentLibraryPage",
    "cms.FaqPage",
    "cms.ContactPage",
]
HOME_CHILDREN = [*SECTION_CHILDREN, "cms.NewsIndexPage", "cms.EventIndexPage", "cms.StatisticsPage"]
CONTENT_PARENTS = ["cms.HomePage", "cms.SectionIndexPage"]


# --- Home ---------------------------------------------------------------------------------------------
class HomePage(SitePage):
    intro_vi = models.CharField(_("lời giới thiệu"), max_length=300, blank=True)
    intro_en = models.CharField(_("lời giới thiệu (tiếng Anh)"), max_length=300, blank=True)
    body = RichTextField(_("nội dung"), blank=True)
    content = StreamField(body_blocks(), verbose_name=_("các khối nội dung"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro_vi"),
        FieldPanel("intro_en"),
        FieldPanel("body"),
        FieldPanel("content"),
        InlinePanel(
            "featured_listings",
            label=_("Công nghệ tiêu biểu"),
            heading=_("Công nghệ tiêu biểu (biên tập viên chọn)"),
            max_num=HOME_FEATURED_MAX,
        ),
    ]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = HOME_CHILDREN

    class Meta:
        verbose_name = _("trang chủ")

    @classmethod
    def can_create_at(cls, parent) -> bool:
        """One home per content language (the others come from translating the Vietnamese one)."""
        languages = (
            len(getattr(settings, "WAGTAIL_CONTENT_LANGUAGES", settings.LANGUAGES)) if i18n_enabled() else 1
        )
        return super().can_create_at(parent) and cls.objects.count() < languages

    def intro(self, language: str) -> str:
        return (self.intro_en if language == "en" and self.intro_en else self.intro_vi) or self.intro_vi

    def seo_description(self) -> str:
        return self.search_description or self.intro((get_language() or "vi")[:2])

    def route(self, request, path_components):
        """A page not (yet) translated still answers under the other language's prefix: the English
        home falls back to the Vietnamese tree, so switching language never loses the page."""
        try:
            return super().route(request, path_components)
        except Http404:
            if path_components and i18n_enabled():
                source = self.get_translation_or_none(Locale.get_default())
                if source is not None and source.pk != self.pk and source.live:
                    return source.specific.route(request, path_components)
            raise

    def get_context(self, request, *args, **kwargs):
        """Latest offers and requests, the editors' picks (still published only) and the counters:
        a fixed handful of queries whatever the number of listings."""
        from listings import selectors
        from listings.models import ListingKind

        context = super().get_context(request, *args, **kwargs)

        def featured():
            featured_ids = list(
                self.featured_listings.order_by("sort_order").values_list("listing_id", flat=True)[
                    :HOME_FEATURED_MAX
                ]
            )
            found = {
                listing.pk: listing for listing in selectors.listings_published().filter(pk__in=featured_ids)
            }
            return [found[pk] for pk in featured_ids if pk in found]

        # Lazy: the template caches these sections (listings.cache version), and a cached section runs
        # none of these queries.
        context.update(
            {
                "featured": SimpleLazyObject(featured),
                "latest_offers": SimpleLazyObject(
                    lambda: list(selectors.listings_published(kind=ListingKind.OFFER)[:HOME_LATEST_COUNT])
                ),
                "latest_requests": SimpleLazyObject(
                    lambda: list(selectors.listings_published(kind=ListingKind.REQUEST)[:HOME_LATEST_COUNT])
                ),
                "counters": SimpleLazyObject(selectors.listing_counters),
            }
        )
        return context


class HomePageFeaturedListing(Orderable):
    """An editors' pick on the home page; a pick that is no longer published simply is not shown."""

    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_listings")
    listing = models.ForeignKey(
        "listings.Listing", verbose_name=_("tin công nghệ"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("listing")]  # cms.wagtail_hooks swaps in the published-listing chooser

    class Meta(Orderable.Meta):
        verbose_name = _("công nghệ tiêu biểu")
        verbose_name_plural = _("công nghệ tiêu biểu")


# --- Generic content ----------------------------------------------------------------------------------
class StandardPage(SitePage):
    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)
    body = StreamField(body_blocks(), verbose_name=_("nội dung"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = CONTENT_PARENTS
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("trang nội dung")


class SectionIndexPage(SitePage):
    """A section (e.g. "Dịch vụ hỗ trợ", "Chính sách") that lists its child pages."""

    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = CONTENT_PARENTS
    subpage_types = SECTION_CHILDREN

    class Meta:
        verbose_name = _("trang chuyên mục")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["children"] = (
            with_content_locale(self.get_children().live().public()).specific().defer_streamfields()
        )
        return context


# --- News ---------------------------------------------------------------------------------------------
class NewsIndexPage(SitePage):
    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsArticlePage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("trang tin tức")

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        from .selectors import news_articles

        context = super().get_context(request, *args, **kwargs)
        context["articles"] = Paginator(news_articles(self), NEWS_PER_PAGE).get_page(request.GET.get("page"))
        return context


class NewsArticlePage(SitePage):
    date = models.DateField(_("ngày đăng"), default=timezone.localdate)
    intro = models.TextField(_("sapo"), blank=True, max_length=600)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("ảnh minh họa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(body_blocks(), verbose_name=_("nội dung"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("bài tin")
        verbose_name_plural = _("bài tin")


# --- Events -------------------------------------------------------------------------------------------
class EventIndexPage(SitePage):
    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.EventPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("trang sự kiện")

    def get_context(self, request, *args, **kwargs):
        from .selectors import events_past, events_upcoming

        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        context["upcoming"] = events_upcoming(self, now=now)
        context["past"] = events_past(self, now=now)[:20]
        return context


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Đã xác nhận")
    WAITLISTED = "waitlisted", _("Danh sách chờ")
    CANCELLED = "cancelled", _("Đã hủy")


class EventPage(RoutablePageMixin, SitePage):
    """A techmart, demo day or pitching day. Registrations belong to the Vietnamese (source) page, so
    the English translation shares its capacity and waiting list."""

    start = models.DateTimeField(_("bắt đầu"))
    end = models.DateTimeField(_("kết thúc"))
    venue = models.CharField(_("địa điểm"), max_length=300, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    online_url = models.URLField(_("đường dẫn trực tuyến"), blank=True)
    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("ảnh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(body_blocks(), verbose_name=_("giới thiệu"), blank=True)
    agenda = StreamField([("item", AgendaItemBlock())], verbose_name=_("chương trình"), blank=True)
    speakers = StreamField([("speaker", SpeakerBlock())], verbose_name=_("diễn giả"), blank=True)
    registration_enabled = models.BooleanField(_("nhận đăng ký"), default=True)
    capacity = models.PositiveIntegerField(
        _("số chỗ"), default=100, help_text=_("Hết chỗ thì người đăng ký vào danh sách chờ.")
    )
    registration_deadline = models.DateTimeField(_("hạn đăng ký"), null=True, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("start"), FieldPanel("end")], heading=_("Thời gian")),
        MultiFieldPanel(
            [FieldPanel("venue"), FieldPanel("address"), FieldPanel("online_url")], _("Địa điểm")
        ),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldPanel("body"),
        FieldPanel("agenda"),
        FieldPanel("speakers"),
        MultiFieldPanel(
            [FieldPanel("registration_enabled"), FieldPanel("capacity"), FieldPanel("registration_deadline")],
            _("Đăng ký tham dự"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("venue")]
    parent_page_types = ["cms.EventIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("sự kiện")
        verbose_name_plural = _("sự kiện")

    def clean(self):
        super().clean()
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("Thời gian kết thúc phải sau thời gian bắt đầu.")
        if not (self.venue or "").strip() and not (self.online_url or "").strip():
            errors["venue"] = _("Cần địa điểm hoặc đường dẫn trực tuyến.")
        if errors:
            raise ValidationError(errors)

    def canonical(self) -> EventPage:
        """The page registrations are attached to: the translation in the default locale."""
        if not i18n_enabled():
            return self
        default = Locale.get_default()
        if self.locale_id == default.pk:
            return self
        source = self.get_translation_or_none(default)
        return source.specific if source is not None else self

    def registration_open(self, now=None) -> bool:
        now = now or timezone.now()
        if not self.registration_enabled or self.end < now:
            return False
        return not (self.registration_deadline and self.registration_deadline < now)

    @property
    def calendar_path(self) -> str:
        return self.reverse_subpage("calendar")

    @property
    def register_path(self) -> str:
        return self.reverse_subpage("register")

    @path("")
    def event_detail(self, request):
        from .forms import EventRegistrationForm
        from .selectors import event_counts

        form = EventRegistrationForm(user=request.user)
        return self.render(
            request,
            context_overrides={
                "form": form,
                "counts": event_counts(self),
                "open": self.registration_open(),
                "cancel_url": request.session.get(f"event-registration-{self.canonical().pk}", ""),
            },
        )

    @path("register/")
    def register(self, request):
        from .views import event_register

        return event_register(request, self)

    @path("cancel/<uuid:token>/")
    def cancel(self, request, token):
        from .views import event_cancel

        return event_cancel(request, self, token)

    @path("calendar/")
    def calendar(self, request):
        from django.http import HttpResponse

        from .ics import event_ics

        response = HttpResponse(event_ics(self, request), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.slug}.ics"'
        return response


class EventRegistration(models.Model):
    event = models.ForeignKey(
        EventPage, verbose_name=_("sự kiện"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_registrations",
    )
    name = models.CharField(_("họ và tên"), max_length=200)
    email = models.EmailField(_("thư điện tử"))
    organization_name = models.CharField(_("đơn vị"), max_length=300, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=RegistrationStatus.choices)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("đăng ký lúc"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("được xếp chỗ lúc"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True)
    #: The language of the page the person registered on; a guest (no account) is emailed in it.
    language = models.CharField(_("ngôn ngữ"), max_length=8, choices=settings.LANGUAGES, default="vi")
    #: The status last emailed to a guest ("" before the first email): a second run of the email task
    #: sees it already sent, and a promotion from the waiting list is told apart from a first booking.
    emailed_status = models.CharField(max_length=20, blank=True, default="", editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("đăng ký sự kiện")
        verbose_name_plural = _("đăng ký sự kiện")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=~models.Q(status="cancelled"),
                name="eventregistration_one_active_per_email",
            )
        ]
        indexes = [models.Index(fields=["event", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} – {self.event_id} ({self.status})"


# --- Support services, library, FAQ, contact, statistics ----------------------------------------------
class SupportServicePage(SitePage):
    """A support programme; its button opens the service-request form with the kind preselected."""

    service_kind = models.CharField(_("loại dịch vụ"), max_length=30, blank=True, choices=ServiceKind.choices)
    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)
    body = StreamField(body_blocks(), verbose_name=_("nội dung"), blank=True)
    fee_note = models.CharField(_("phí dịch vụ"), max_length=300, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("service_kind"),
        FieldPanel("intro"),
        FieldPanel("fee_note"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = CONTENT_PARENTS
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("trang dịch vụ hỗ trợ")

    def request_url(self) -> str:
        try:
            url = reverse("support:create")
        except NoReverseMatch:
            return ""
        return f"{url}?kind={self.service_kind}" if self.service_kind else url


class DocumentLibraryPage(SitePage):
    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        InlinePanel("documents", label=_("Văn bản")),
    ]
    parent_page_types = CONTENT_PARENTS
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("thư viện văn bản")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        groups: dict[str, list] = {}
        labels = dict(PolicyCategory.choices)
        for item in self.documents.select_related("document").order_by("sort_order"):
            groups.setdefault(labels.get(item.category, item.category), []).append(item)
        context["groups"] = groups
        return context


class PolicyCategory(models.TextChoices):
    LAW = "law", _("Luật")
    DECREE = "decree", _("Nghị định")
    CIRCULAR = "circular", _("Thông tư")
    CITY = "city", _("Văn bản của Thành phố")
    GUIDE = "guide", _("Hướng dẫn")
    FORM = "form", _("Biểu mẫu")


class PolicyDocument(Orderable):
    page = ParentalKey(DocumentLibraryPage, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("tệp"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("tên văn bản"), max_length=300)
    number = models.CharField(_("số hiệu"), max_length=100, blank=True)
    category = models.CharField(
        _("loại"), max_length=20, choices=PolicyCategory.choices, default=PolicyCategory.LAW
    )
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    description = models.TextField(_("trích yếu"), blank=True)

    panels = [
        FieldPanel("document"),
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("number"), FieldPanel("category"), FieldPanel("issued_on")]),
        FieldPanel("description"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("văn bản")
        verbose_name_plural = _("văn bản")


class FaqPage(SitePage):
    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)
    faqs = StreamField([("faq", FaqItemBlock())], verbose_name=_("câu hỏi"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("faqs")]
    search_fields = [*Page.search_fields, index.SearchField("faqs")]
    parent_page_types = CONTENT_PARENTS
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("trang hỏi đáp")


class ContactFormField(AbstractFormField):
    page = ParentalKey("cms.ContactPage", on_delete=models.CASCADE, related_name="form_fields")


class ContactPage(SeoFields, AbstractEmailForm):
    intro = RichTextField(_("lời dẫn"), blank=True)
    thank_you_text = RichTextField(_("lời cảm ơn"), blank=True)
    address = models.TextField(_("địa chỉ liên hệ"), blank=True)

    content_panels = [
        *AbstractEmailForm.content_panels,
        FormSubmissionsPanel(),
        FieldPanel("intro"),
        FieldPanel("address"),
        InlinePanel("form_fields", label=_("Trường của biểu mẫu")),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("from_address"), FieldPanel("to_address")]), FieldPanel("subject")],
            _("Thư điện tử"),
        ),
    ]
    parent_page_types = CONTENT_PARENTS
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("trang liên hệ")


class StatisticsPage(SitePage):
    """The public summary of the exchange's figures for a period (see cms.statistics)."""

    intro = models.TextField(_("lời dẫn"), blank=True, max_length=600)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("trang số liệu thống kê")

    def get_context(self, request, *args, **kwargs):
        from .report import report_sections
        from .statistics import period_from_params, public_summary
        from .statistics_charts import charts_for

        context = super().get_context(request, *args, **kwargs)
        period = period_from_params(request.GET)
        stats = public_summary(period)
        context.update(
            {"period": period, "stats": stats, "charts": charts_for(stats), "tables": report_sections(stats)}
        )
        return context


# --- Navigation managed by editors --------------------------------------------------------------------
@register_setting(icon="list-ul")
class SiteNavigation(ClusterableModel, BaseSiteSetting):
    """The main menu and the footer, per site; each link has a Vietnamese and an English label and
    points to a page (its translation is used in English) or to an address."""

    footer_text_vi = models.TextField(_("chân trang"), blank=True)
    footer_text_en = models.TextField(_("chân trang (tiếng Anh)"), blank=True)

    panels = [
        InlinePanel("menu_items", label=_("Mục trình đơn chính")),
        InlinePanel("footer_links", label=_("Liên kết chân trang")),
        FieldPanel("footer_text_vi"),
        FieldPanel("footer_text_en"),
    ]

    class Meta:
        verbose_name = _("trình đơn và chân trang")

    def save(self, *args, **kwargs):
        # for_site() creates the row on first use: that must not invalidate the entry being cached.
        changed = not self._state.adding
        super().save(*args, **kwargs)
        if changed:
            forget_navigation()

    def footer_text(self, language: str) -> str:
        return (
            self.footer_text_en if language == "en" and self.footer_text_en else self.footer_text_vi
        ) or ""


class NavigationLink(Orderable):
    label_vi = models.CharField(_("nhãn"), max_length=100)
    label_en = models.CharField(_("nhãn (tiếng Anh)"), max_length=100, blank=True)
    link_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("trang"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    link_url = models.CharField(_("hoặc địa chỉ"), max_length=300, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("label_vi"), FieldPanel("label_en")]),
        FieldPanel("link_page"),
        FieldPanel("link_url"),
    ]

    class Meta(Orderable.Meta):
        abstract = True

    def label(self, language: str) -> str:
        return (self.label_en if language == "en" and self.label_en else self.label_vi) or self.label_vi

    def href(self, request) -> str:
        if self.link_page_id:
            page = self.link_page.localized if i18n_enabled() else self.link_page
            return page.get_url(request) or ""
        from exchange.core.sanitize import safe_url

        return safe_url(self.link_url)  # never a javascript: or data: link in the menus


class MenuItem(NavigationLink):
    setting = ParentalKey(SiteNavigation, on_delete=models.CASCADE, related_name="menu_items")

    class Meta(NavigationLink.Meta):
        verbose_name = _("mục trình đơn")


class FooterLink(NavigationLink):
    setting = ParentalKey(SiteNavigation, on_delete=models.CASCADE, related_name="footer_links")

    class Meta(NavigationLink.Meta):
        verbose_name = _("liên kết chân trang")


def _navigation_key(site_id: int, language: str) -> str:
    return f"cms:navigation:{cache.get('cms:navigation:version', 0)}:{site_id}:{language}"


def forget_navigation() -> None:
    """Editors' changes (navigation saved, a page published/moved) show at once."""
    try:
        cache.incr("cms:navigation:version")
    except ValueError:
        cache.set("cms:navigation:version", 1, None)


def navigation_for(request) -> dict:
    """Menu and footer as plain data, cached per site and language (a few queries on a cache miss)."""
    from wagtail.models import Site

    site = Site.find_for_request(request)
    if site is None:
        return {"menu": [], "footer": [], "footer_text": ""}
    language = (get_language() or "vi")[:2]
    key = _navigation_key(site.pk, language)
    data = cache.get(key)
    if data is None:
        nav = SiteNavigation.for_site(site)
        # "lang": "vi" on a label or text shown in Vietnamese on the English site (no English value).
        data = {
            "menu": [
                {
                    "label": item.label(language),
                    "href": item.href(request),
                    "lang": field_fallback_language(item, "label", language),
                }
                for item in nav.menu_items.select_related("link_page")
            ],
            "footer": [
                {
                    "label": item.label(language),
                    "href": item.href(request),
                    "lang": field_fallback_language(item, "label", language),
                }
                for item in nav.footer_links.select_related("link_page")
            ],
            "footer_text": nav.footer_text(language),
            "footer_text_lang": field_fallback_language(nav, "footer_text", language),
        }
        cache.set(key, data, NAVIGATION_CACHE_SECONDS)
    return data
