"""Query parameters of the partner API's listing endpoints (django-filter).

Every parameter is validated by a form field, so a bad value (``trl_min=abc``, ``trl_min=12``, an
unknown field code) answers 400 with a message per parameter, never 500. Reference data (field,
province, organisation) is looked up by its public code, one query per parameter used.
"""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from exchange.accounts import permissions as perms
from exchange.accounts.models import Organization
from exchange.core.models import Province

from .models import IPRight, IPType, Listing, ScienceField, TransactionType
from .selectors import listings_search_basic

TRL_BOUNDS = {"min_value": 1, "max_value": 9}


class IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class _StrictBooleanField(forms.NullBooleanField):
    """``true``/``false``/``1``/``0`` (any case) or nothing. Django's ``NullBooleanField`` reads any
    other value as "not given", so ``mine=-5`` quietly answered the public list
    instead of saying the value is wrong."""

    ACCEPTED = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        key = str(value).strip().lower()
        if key not in self.ACCEPTED:
            raise forms.ValidationError(
                _("“%(value)s” không phải giá trị đúng/sai: dùng true, false, 1 hoặc 0."),
                code="invalid",
                params={"value": value},
            )
        return self.ACCEPTED[key]

    def validate(self, value):
        pass


class BooleanFilter(filters.BooleanFilter):
    """A boolean query parameter that refuses what is not one (400), instead of ignoring it."""

    field_class = _StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget turns every unknown value into "not given" before the field sees it.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class _RangeForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("trl_min"), data.get("trl_max")
        if low is not None and high is not None and low > high:
            self.add_error("trl_max", _("trl_max phải lớn hơn hoặc bằng trl_min."))
        return data


def _code_choice(queryset, to_field: str, message):
    return {"queryset": queryset, "to_field_name": to_field, "error_messages": {"invalid_choice": message}}


class ListingFilter(filters.FilterSet):
    """What offers and requests share."""

    q = filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text="Words to find (diacritics and case ignored) in the title, summary, description, keywords "
        "or organisation; listings with every word first, by relevance, then those with some of them.",
    )
    field = filters.ModelChoiceFilter(
        method="filter_field",
        help_text="S&T field code, e.g. `2.07`; a top-level code (`2`) includes its sub-fields.",
        **_code_choice(
            ScienceField.objects.all(), "code", _("Không có lĩnh vực mã “%(value)s” trong bảng phân loại.")
        ),
    )
    province = filters.ModelChoiceFilter(
        field_name="province",
        help_text="Province code, e.g. `79` (Ho Chi Minh City).",
        **_code_choice(Province.objects.all(), "code", _("Không có tỉnh/thành phố mã “%(value)s”.")),
    )
    organization = filters.ModelChoiceFilter(
        method="filter_organization",
        help_text="Organisation ref, e.g. `hcmut`.",
        **_code_choice(Organization.objects.all(), "ref", _("Không có tổ chức mã “%(value)s”.")),
    )
    transaction_type = filters.ChoiceFilter(
        choices=TransactionType.choices, method="filter_transaction_type", help_text="One transaction type."
    )
    facets = BooleanFilter(
        method="filter_mine",
        help_text="`1`: add `facets` (counts per field, TRL, IP type, transaction type, province, "
        "organisation and price band) beside `results`. Not with `mine=1`.",
    )
    mine = BooleanFilter(
        method="filter_mine",
        help_text="`1`: only your own listings, in every state (draft, submitted…); needs authentication.",
    )

    class Meta:
        model = Listing
        fields: list[str] = []
        form = _RangeForm

    def filter_q(self, queryset, name, value):
        from .search import filter_matching

        return filter_matching(queryset, value, fallback=listings_search_basic)

    def filter_field(self, queryset, name, value):
        return queryset.filter(Q(field=value) | Q(field__parent=value))

    def filter_organization(self, queryset, name, value):
        queryset = queryset.filter(organization=value)
        user = getattr(self.request, "user", None)
        if not (perms.is_member(user, value) or perms.is_moderator(user)):
            # Filtering by organisation must not reveal who is behind an anonymous request.
            queryset = queryset.exclude(anonymous=True)
        return queryset

    def filter_transaction_type(self, queryset, name, value):
        # The JSON list holds plain ASCII codes, so its text contains the quoted code (SQLite and PostgreSQL).
        return queryset.filter(transaction_types__icontains=f'"{value}"')

    def filter_mine(self, queryset, name, value):
        return queryset  # ``mine`` and ``facets`` are applied by the view


class TechnologyFilter(ListingFilter):
    trl_min = IntegerFilter(field_name="trl", lookup_expr="gte", help_text="Lowest TRL (1–9).", **TRL_BOUNDS)
    trl_max = IntegerFilter(field_name="trl", lookup_expr="lte", help_text="Highest TRL (1–9).", **TRL_BOUNDS)
    ip_type = filters.ChoiceFilter(
        choices=IPType.choices, method="filter_ip_type", help_text="Has an IP right of this type."
    )
    price_max = IntegerFilter(
        method="filter_price_max",
        min_value=0,
        help_text="Budget in VND: offers whose asking price starts at or below it (offers without a price "
        "are left out).",
    )

    def filter_ip_type(self, queryset, name, value):
        return queryset.filter(Exists(IPRight.objects.filter(listing=OuterRef("pk"), type=value)))

    def filter_price_max(self, queryset, name, value):
        return queryset.filter(Q(price_min__lte=value) | Q(price_min__isnull=True, price_max__lte=value))


class RequestFilter(ListingFilter):
    trl = IntegerFilter(
        method="filter_trl",
        help_text="A TRL (1–9) inside the range the request wants (open ends match).",
        **TRL_BOUNDS,
    )

    def filter_trl(self, queryset, name, value):
        return queryset.filter(
            Q(trl_wanted_min__isnull=True) | Q(trl_wanted_min__lte=value),
            Q(trl_wanted_max__isnull=True) | Q(trl_wanted_max__gte=value),
        )
