"""The filter forms of the public lists. They run on GET and only validate; a bad value becomes a form
error shown above the list (never a 500), and the list then shows everything unfiltered by that value."""

from __future__ import annotations

import json

from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from exchange.accounts.models import Organization
from exchange.core.models import Province

from .cache import cached_choices
from .lifecycle import ListingState
from .models import IPRight, IPType, Listing, ListingKind, ScienceField, TransactionType

TRL_CHOICES = [("", "—")] + [(str(i), str(i)) for i in range(1, 10)]


def _language() -> str:
    return (get_language() or "vi")[:2]


def field_choices() -> list:
    """Two-level choices: each top-level field, then its sub-fields indented, in one query (cached per
    language until a field changes, ``listings.cache``)."""
    english = _language() == "en"

    def build() -> list:
        rows = list(ScienceField.objects.order_by("code").values_list("code", "name", "name_en", "parent_id"))
        choices = [("", str(_("Tất cả lĩnh vực")))]
        for code, name, name_en, parent_id in rows:
            label = f"{code} {name_en if english and name_en else name}"
            choices.append((code, label if parent_id is None else f"\u00a0\u00a0\u00a0{label}"))
        return choices

    return cached_choices("fields", _language(), build)


class FastSelect(forms.Select):
    """A ``<select>`` whose options are written in Python instead of one template include each.

    The filter forms' selects carry hundreds of options (every organisation with a published listing,
    every science field); Django's per-option template rendering cost ~0.2-0.7 ms an option, most of a
    list page's time. Same markup and attributes (id, required, aria-* from the bound field); option
    groups, which these forms never use, fall back to Django's rendering.
    """

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) in selected else "", label)  # noqa: S308
                for v, label in choices
            ),
        )
        final_attrs = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options)


def filter_by_field(qs: QuerySet, code: str, prefix: str = "field") -> QuerySet:
    """A top-level code takes in its sub-fields too."""
    return qs.filter(Q(**{f"{prefix}__code": code}) | Q(**{f"{prefix}__parent__code": code}))


def search_text(qs: QuerySet, q: str) -> QuerySet:
    """Every word of ``q`` in the folded search index (titles, keywords, texts, organisation, province)."""
    from .search import filter_matching

    return filter_matching(qs, q, fallback=_contains_text)


def _contains_text(qs: QuerySet, q: str) -> QuerySet:
    """A plain icontains over titles, summaries and keywords, where the search index is unavailable.

    Keywords are JSON text stored with ``\\u`` escapes, so the escaped spelling is searched as well.
    """
    escaped = json.dumps(q)[1:-1]
    cond = (
        Q(title_vi__icontains=q)
        | Q(title_en__icontains=q)
        | Q(summary_vi__icontains=q)
        | Q(summary_en__icontains=q)
        | Q(keywords__icontains=q)
    )
    if escaped != q:
        cond |= Q(keywords__icontains=escaped)
    return qs.filter(cond)


class ListingFilterForm(forms.Form):
    SORTS = [
        ("newest", _("Mới nhất")),
        ("relevance", _("Phù hợp nhất")),
        ("title", _("Tên (A–Z)")),
        ("trl", _("TRL cao nhất")),
        ("price", _("Giá thấp nhất")),
        ("-price", _("Giá cao nhất")),
    ]

    q = forms.CharField(label=_("Từ khóa"), max_length=200, required=False)
    field = forms.ChoiceField(label=_("Lĩnh vực"), required=False)
    trl_min = forms.TypedChoiceField(
        label=_("TRL từ"), choices=TRL_CHOICES, coerce=int, empty_value=None, required=False
    )
    trl_max = forms.TypedChoiceField(
        label=_("TRL đến"), choices=TRL_CHOICES, coerce=int, empty_value=None, required=False
    )
    ip_type = forms.ChoiceField(label=_("Loại quyền SHTT"), required=False)
    transaction_type = forms.ChoiceField(label=_("Hình thức giao dịch"), required=False)
    province = forms.ModelChoiceField(
        label=_("Tỉnh/thành phố"),
        queryset=Province.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=_("Tất cả tỉnh/thành phố"),
    )
    org = forms.ModelChoiceField(
        label=_("Tổ chức"),
        queryset=Organization.objects.none(),
        to_field_name="ref",
        required=False,
        empty_label=_("Tất cả tổ chức"),
    )
    price_min = forms.IntegerField(label=_("Giá từ (VND)"), min_value=0, max_value=10**15, required=False)
    price_max = forms.IntegerField(label=_("Giá đến (VND)"), min_value=0, max_value=10**15, required=False)
    origin = forms.ChoiceField(label=_("Sàn gốc"), required=False)
    sort = forms.ChoiceField(label=_("Sắp xếp"), choices=SORTS, required=False)

    kind = ListingKind.OFFER

    #: The form's sort values → ``SearchQuery.sort``.
    SEARCH_SORTS = {
        "relevance": "relevance",
        "newest": "newest",
        "title": "title",
        "trl": "trl",
        "price": "price_asc",
        "-price": "price_desc",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and (self.data.get("q") or "").strip() and not self.data.get("sort"):
            # With a search term the list comes by relevance unless the visitor chose another order.
            self.data = self.data.copy()
            self.data["sort"] = "relevance"
        self.fields["field"].choices = field_choices()
        self.fields["ip_type"].choices = [("", _("Tất cả"))] + list(IPType.choices)
        self.fields["transaction_type"].choices = [("", _("Tất cả"))] + list(TransactionType.choices)
        # Only organisations with something published here (not the whole table); anonymous requests
        # never put their organisation in this list.
        self.fields["org"].queryset = Organization.objects.filter(
            Exists(
                Listing.objects.filter(
                    organization=OuterRef("pk"), state=ListingState.PUBLISHED, kind=self.kind, anonymous=False
                )
            )
        ).order_by("name")
        # The selects show cached choice lists (one query each per version, listings.cache); a submitted
        # value is still validated against the field's queryset.
        language, kind = _language(), self.kind
        for name in ("province", "org"):
            field = self.fields[name]
            field.widget = FastSelect(attrs=field.widget.attrs)
            field.widget.choices = cached_choices(
                f"{name}:{kind}",
                language,
                lambda field=field: (
                    [("", str(field.empty_label))]
                    + [
                        (str(getattr(obj, field.to_field_name)), str(field.label_from_instance(obj)))
                        for obj in field.queryset
                    ]
                ),
            )
        self.fields["origin"].choices = cached_choices(f"origin:{kind}", language, self._origin_choices)
        for name, field in self.fields.items():
            if type(field.widget) is forms.Select:
                field.widget = FastSelect(attrs=field.widget.attrs, choices=field.widget.choices)
            field.widget.attrs.setdefault("id", f"f-{name}")
        self.fields["price_min"].widget.attrs["inputmode"] = "numeric"
        self.fields["price_max"].widget.attrs["inputmode"] = "numeric"

    def _origin_choices(self) -> list:
        """Our exchange and the peers whose listings are federated here (a handful of distinct values)."""
        from .search.facets import origin_labels

        origins = sorted(
            Listing.objects.filter(state=ListingState.PUBLISHED, kind=self.kind)
            .order_by()
            .values_list("origin", flat=True)
            .distinct()
        )
        labels = origin_labels(origins, _language())
        return [("", str(_("Mọi sàn")))] + [(o, str(labels.get(o, o))) for o in origins]

    def clean(self):
        data = super().clean()
        low, high = data.get("trl_min"), data.get("trl_max")
        if low is not None and high is not None and low > high:
            self.add_error("trl_max", _("“TRL đến” phải lớn hơn hoặc bằng “TRL từ”."))
        pmin, pmax = data.get("price_min"), data.get("price_max")
        if pmin is not None and pmax is not None and pmin > pmax:
            self.add_error("price_max", _("“Giá đến” phải lớn hơn hoặc bằng “Giá từ”."))
        return data

    def valid_data(self) -> dict:
        """The values that passed validation (bad ones are dropped, their errors shown)."""
        self.is_valid()
        rejected = set(self.errors)
        for pair in (("trl_min", "trl_max"), ("price_min", "price_max")):
            if rejected.intersection(pair):  # a range with one bad end is dropped whole
                rejected.update(pair)
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in rejected}

    def search_query(self, *, page: int, page_size: int, language: str):
        """The valid filters as a ``SearchQuery`` for ``listings.search.search_listings`` (with facets).

        A request's TRL filters take the same overlap meaning in the search service as in ``apply``.
        """
        from .search import SearchQuery

        data = self.valid_data()
        province, organization = data.get("province"), data.get("org")
        return SearchQuery(
            q=(data.get("q") or "").strip(),
            kind=self.kind,
            field=data.get("field") or None,
            trl_min=data.get("trl_min"),
            trl_max=data.get("trl_max"),
            ip_type=data.get("ip_type") or None,
            transaction_type=data.get("transaction_type") or None,
            province=province.code if province else None,
            organization=organization.ref if organization else None,
            origin=data.get("origin") or None,
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            sort=self.SEARCH_SORTS.get(data.get("sort") or "relevance", "relevance"),
            page=page,
            page_size=page_size,
            facets=True,
            language=language,
        )

    def apply(self, qs: QuerySet[Listing]) -> QuerySet[Listing]:
        data = self.valid_data()
        if data.get("q"):
            qs = search_text(qs, data["q"].strip())
        if data.get("field"):
            qs = filter_by_field(qs, data["field"])
        if data.get("trl_min") is not None:
            qs = qs.filter(trl__gte=data["trl_min"])
        if data.get("trl_max") is not None:
            qs = qs.filter(trl__lte=data["trl_max"])
        if data.get("ip_type"):
            qs = qs.filter(Exists(IPRight.objects.filter(listing=OuterRef("pk"), type=data["ip_type"])))
        if data.get("transaction_type"):
            # JSON list of plain codes: the quoted code cannot match inside another code.
            qs = qs.filter(transaction_types__icontains=f'"{data["transaction_type"]}"')
        if data.get("province"):
            qs = qs.filter(province=data["province"])
        if data.get("org"):
            qs = qs.filter(organization=data["org"], anonymous=False)
        if data.get("origin"):
            qs = qs.filter(origin=data["origin"])
        if data.get("price_min") is not None:
            low = data["price_min"]
            qs = qs.filter(Q(price_max__gte=low) | Q(price_max__isnull=True, price_min__gte=low))
        if data.get("price_max") is not None:
            high = data["price_max"]
            qs = qs.filter(Q(price_min__lte=high) | Q(price_min__isnull=True, price_max__lte=high))
        return self.order(qs, data.get("sort") or "newest")

    @staticmethod
    def order(qs: QuerySet[Listing], key: str) -> QuerySet[Listing]:
        if key == "title":
            english = (get_language() or "vi")[:2] == "en"
            first, second = ("title_en", "title_vi") if english else ("title_vi", "title_en")
            title = Coalesce(NullIf(first, Value("")), second)
            return qs.order_by(Lower(title), "-id")
        if key == "trl":
            return qs.order_by(F("trl").desc(nulls_last=True), "-published_at", "-id")
        if key == "price":
            return qs.order_by(
                F("price_min").asc(nulls_last=True), F("price_max").asc(nulls_last=True), "-id"
            )
        if key == "-price":
            return qs.order_by(
                F("price_max").desc(nulls_last=True), F("price_min").desc(nulls_last=True), "-id"
            )
        return qs.order_by("-published_at", "-id")


class RequestFilterForm(ListingFilterForm):
    """Requests: same search, field, province and organisation; TRL filters the wanted range."""

    kind = ListingKind.REQUEST

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("ip_type", "price_min", "price_max"):
            del self.fields[name]
        self.fields["sort"].choices = [c for c in self.SORTS if c[0] in ("newest", "relevance", "title")]

    def apply(self, qs: QuerySet[Listing]) -> QuerySet[Listing]:
        data = self.valid_data()
        if data.get("q"):
            qs = search_text(qs, data["q"].strip())
        if data.get("field"):
            qs = filter_by_field(qs, data["field"])
        if data.get("trl_min") is not None:
            qs = qs.filter(Q(trl_wanted_max__gte=data["trl_min"]) | Q(trl_wanted_max__isnull=True))
        if data.get("trl_max") is not None:
            qs = qs.filter(Q(trl_wanted_min__lte=data["trl_max"]) | Q(trl_wanted_min__isnull=True))
        if data.get("transaction_type"):
            qs = qs.filter(transaction_types__icontains=f'"{data["transaction_type"]}"')
        if data.get("province"):
            qs = qs.filter(province=data["province"])
        if data.get("org"):
            qs = qs.filter(organization=data["org"], anonymous=False)
        return self.order(qs, data.get("sort") or "newest")


class ExpertFilterForm(forms.Form):
    q = forms.CharField(label=_("Tên chuyên gia"), max_length=200, required=False)
    field = forms.ChoiceField(label=_("Lĩnh vực chuyên môn"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = field_choices()
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"f-{name}")

    def apply(self, qs):
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        if data.get("q"):
            qs = qs.filter(user__full_name__icontains=data["q"].strip())
        if data.get("field"):
            qs = qs.filter(
                Q(expertise_fields__code=data["field"]) | Q(expertise_fields__parent__code=data["field"])
            ).distinct()
        return qs
