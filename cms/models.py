"""Wagtail pages of the exchange's public site. The home page is the root of the site tree."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    intro_vi = models.CharField(_("lời giới thiệu"), max_length=300, blank=True)
    intro_en = models.CharField(_("lời giới thiệu (tiếng Anh)"), max_length=300, blank=True)
    body = RichTextField(_("nội dung"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro_vi"),
        FieldPanel("intro_en"),
        FieldPanel("body"),
    ]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("trang chủ")

    def intro(self, language: str) -> str:
        return (self.intro_en if language == "en" and self.intro_en else self.intro_vi) or self.intro_vi
