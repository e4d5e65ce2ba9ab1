"""Thin views of the public site: event registration, robots.txt, sitemap.xml, the staff statistics
dashboard (Wagtail admin) and the yearly report downloads."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_page

from exchange.accounts.permissions import is_staff

from . import services
from .forms import EventRegistrationForm
from .models import EventRegistration, RegistrationStatus
from .site_url import absolute_url, public_address

logger = logging.getLogger(__name__)


# --- Events (called from EventPage's routes) ---------------------------------------------------------
def event_register(request, event):
    if request.method != "POST":
        return redirect(event.get_url(request))
    from .selectors import event_counts

    form = EventRegistrationForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            registration = services.event_register(
                event=event, user=request.user, language=translation.get_language(), **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if registration.status == RegistrationStatus.CONFIRMED:
                messages.success(request, _("Đăng ký thành công: chỗ của bạn đã được xác nhận."))
            else:
                messages.info(request, _("Sự kiện đã hết chỗ; bạn đang ở vị trí chờ trong danh sách chờ."))
            cancel_url = event.get_url(request) + event.reverse_subpage("cancel", args=[registration.token])
            request.session[f"event-registration-{event.canonical().pk}"] = cancel_url
            return redirect(event.get_url(request) + "?registered=1")
    return event.render(
        request,
        context_overrides={"form": form, "counts": event_counts(event), "open": event.registration_open()},
    )


def event_cancel(request, event, token):
    registration = (
        EventRegistration.objects.select_related("event").filter(token=token, event=event.canonical()).first()
    )
    if registration is None:
        raise Http404
    if request.method == "POST":
        services.event_registration_cancel(registration=registration, actor=request.user)
        messages.success(request, _("Đã hủy đăng ký."))
        return redirect(event.get_url(request))
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return TemplateResponse(
        request, "cms/event_cancel.html", {"page": event, "self": event, "registration": registration}
    )


# --- Language switch ----------------------------------------------------------------------------------
def set_language(request):
    """Django's set_language, resolving ``next`` in the language of its own prefix.

    Django translates ``next`` by resolving it under the *active* language, which for this unprefixed
    URL comes from the language cookie: a visitor who once chose English and then switches a /vi/ page
    would stay on /vi/. Activating the prefix's language first makes the switch keep the page."""
    from urllib.parse import urlsplit

    from django.utils import translation
    from django.views.i18n import set_language as django_set_language

    next_url = request.POST.get("next", request.GET.get("next")) or ""
    language = translation.get_language_from_path(urlsplit(next_url).path)
    if language:
        with translation.override(language):
            return django_set_language(request)
    return django_set_language(request)


# --- robots.txt and sitemap.xml -----------------------------------------------------------------------
ROBOTS_DISALLOW = [
    "/admin/",
    "/django-admin/",
    "/api/",
    "/i18n/",
    "/documents/",
    "/*/accounts/",
    "/*/account/",
    "/*/portal/",
    "/*/deals/",
    "/*/support/",
    "/*/payments/",
    "/*/notifications/",
]


@cache_page(3600)
def robots_txt(request):
    lines = ["User-agent: *", *[f"Disallow: {path}" for path in ROBOTS_DISALLOW], "Allow: /"]
    lines.append(f"Sitemap: {absolute_url(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def sitemap(request):
    from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
    from wagtail.models import Site

    from .sitemaps import ListingSitemap, PageSitemap

    site = Site.find_for_request(request)
    if site is not None and site.root_url != public_address().root:
        # The pages' URLs come from the Site, the listings' from SITE_URL: say why they disagree.
        logger.warning(
            "sitemap.xml: the Wagtail site is %s but SITE_URL is %s; run manage.py site_configure",
            site.root_url,
            public_address().root,
        )
    return wagtail_sitemap(request, sitemaps={"pages": PageSitemap, "listings": ListingSitemap()})


# --- Staff statistics (Wagtail admin) -----------------------------------------------------------------
def _require_staff(request) -> None:
    if not is_staff(request.user):
        raise PermissionDenied


def statistics_dashboard(request):
    _require_staff(request)
    from .forms import PeriodForm
    from .report import report_sections
    from .statistics import period_from_params, summary
    from .statistics_charts import charts_for

    period = period_from_params(request.GET)
    stats = summary(period)
    return TemplateResponse(
        request,
        "cms/admin/statistics.html",
        {
            "period": period,
            "stats": stats,
            "charts": charts_for(stats),
            "tables": report_sections(stats),
            "form": PeriodForm(initial={"start": period.start, "end": period.end}),
            "header_icon": "order",
            "page_title": _("Thống kê của sàn"),
        },
    )


def statistics_report(request, fmt: str):
    _require_staff(request)
    from .report import report_filename, report_pdf, report_xlsx
    from .statistics import period_from_params

    period = period_from_params(request.GET)
    if fmt == "xlsx":
        content = report_xlsx(period)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        content = report_pdf(period)
        content_type = "application/pdf"
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report_filename(period, fmt)}"'
    return response
