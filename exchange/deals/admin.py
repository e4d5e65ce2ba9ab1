"""Staff edit the legal data (revenue shares, registration deadlines) and NDA templates here."""

from django.contrib import admin

from .models import NdaTemplate, RegistrationRule, RevenueShareRule


@admin.register(RevenueShareRule)
class RevenueShareRuleAdmin(admin.ModelAdmin):
    list_display = ("party", "bound", "percent", "source", "active", "valid_from", "valid_to")
    list_filter = ("active", "party")


@admin.register(RegistrationRule)
class RegistrationRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "deadline_days", "source", "active")


@admin.register(NdaTemplate)
class NdaTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "organization", "code", "language", "version", "active")
    list_filter = ("language", "active")
    raw_id_fields = ("organization",)
