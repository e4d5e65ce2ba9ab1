"""Workspace forms. Inputs are typed as text so any number can also be a range:

* ``0.05`` — a number (``0,05`` works too; ``1.000.000`` and ``1 000 000`` are one million);
* ``0.03..0.08`` — uniform between the two; ``0.03..0.05..0.08`` — triangular (min..most likely..max).

Yearly lists take one value per line (or separated by ``;``); costs take ``year: amount`` per line;
market adjustments ``id: name=fraction, name=fraction`` per line.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from listings.models import TransactionType

from .engine import FACTORS
from .models import Method
from .texts import CATEGORY_LABELS, FACTOR_LABELS, INPUT_HELP

# method → [(input, kind)]; kinds: value, series, series_opt, int, bool, costs, text, choice, adjustments
TIMING = [("mid_year", "bool"), ("start_year", "int"), ("protection_end_year", "int")]
SPECS: dict[str, list[tuple[str, str]]] = {
    "relief_from_royalty": [
        ("revenues", "series"),
        ("royalty_rate", "value"),
        ("tax_rate", "value"),
        ("discount_rate", "value"),
        *TIMING,
    ],
    "dcf": [("cash_flows", "series"), ("discount_rate", "value"), *TIMING],
    "rnpv": [
        ("cash_flows", "series"),
        ("discount_rate", "value"),
        ("trl", "int"),
        ("success_probabilities", "series_opt"),
        *TIMING,
    ],
    "rule_25": [("revenue", "value"), ("operating_margin", "value")],
    "cost": [
        ("costs", "costs"),
        ("valuation_year", "int"),
        ("index_rate", "value"),
        ("margin", "value"),
        ("obsolescence.functional", "value"),
        ("obsolescence.technological", "value"),
        ("obsolescence.economic", "value"),
    ],
    "market": [
        ("field_code", "text"),
        ("trl_min", "int"),
        ("trl_max", "int"),
        ("transaction_type", "choice"),
        ("valuation_year", "int"),
        ("index_rate", "value"),
        ("adjustments", "adjustments"),
    ],
}
SEP = "__"


def parse_number(text: str) -> float | int:
    t = re.sub(r"[\s_]", "", text)
    if t.count(".") > 1:
        t = t.replace(".", "")
    if "," in t:
        t = t.replace(",", ".") if t.count(",") == 1 and "." not in t else t.replace(",", "")
    try:
        value = float(t)
    except ValueError as exc:
        raise ValidationError(_("“%(t)s” không phải là số."), params={"t": text}) from exc
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def parse_value(text: str):
    """A number, ``min..max`` (uniform) or ``min..mode..max`` (triangular)."""
    parts = [p for p in text.strip().split("..")]
    if len(parts) == 1:
        return parse_number(parts[0])
    if len(parts) == 2:
        return {"min": parse_number(parts[0]), "max": parse_number(parts[1])}
    if len(parts) == 3:
        return {"min": parse_number(parts[0]), "mode": parse_number(parts[1]), "max": parse_number(parts[2])}
    raise ValidationError(_("Khoảng phải có dạng min..max hoặc min..thường gặp..max."))


def show_value(value) -> str:
    if isinstance(value, dict):
        keys = ("min", "mode", "max") if "mode" in value else ("min", "max")
        return "..".join(f"{value[k]:g}" if isinstance(value[k], float) else str(value[k]) for k in keys)
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return "" if value is None else str(value)


def _lines(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[\n;]", text or "") if p.strip()]


def parse_adjustments(text: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for line in _lines(text):
        key, _sep, rest = line.partition(":")
        if not (key.strip().isdigit() or re.fullmatch(r"g[0-9a-f]{8}", key.strip())):
            raise ValidationError(_("Dòng “%(l)s”: cần dạng mã: tên=hệ số."), params={"l": line})
        factors = {}
        for pair in filter(None, (p.strip() for p in rest.split(","))):
            name, eq, value = pair.partition("=")
            if not eq or not name.strip():
                raise ValidationError(_("Dòng “%(l)s”: cần dạng mã: tên=hệ số."), params={"l": line})
            factors[name.strip()] = parse_value(value)
        out[key.strip()] = factors
    return out


class ValuationCreateForm(forms.Form):
    title = forms.CharField(label=_("Tên định giá"), max_length=200)
    listing = forms.ModelChoiceField(
        label=_("Công nghệ của tôi"),
        queryset=None,
        required=False,
        empty_label=_("(không gắn với công nghệ nào)"),
    )
    methods = forms.MultipleChoiceField(
        label=_("Phương pháp"), choices=Method.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, listings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["listing"].queryset = listings
        self.fields["listing"].label_from_instance = lambda obj: obj.title_vi or obj.title_en or obj.ref


class InputsForm(forms.Form):
    """All inputs of the chosen methods, one field per input named ``<method>__<input>``."""

    def __init__(self, *args, methods: list[str], inputs: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.methods = methods
        self.groups: list[dict[str, Any]] = []
        for method in methods:
            names = []
            if method == "scoring":
                scores = (inputs.get("scoring") or {}).get("scores") or {}
                for category, factors in FACTORS.items():
                    for factor in factors:
                        name = f"scoring{SEP}{category}.{factor}"
                        self.fields[name] = forms.TypedChoiceField(
                            label=f"{CATEGORY_LABELS[category]} — {FACTOR_LABELS[factor]}",
                            choices=[("", "—"), *[(i, str(i)) for i in range(1, 6)]],
                            coerce=int,
                            empty_value=None,
                            required=False,
                            initial=(scores.get(category) or {}).get(factor),
                        )
                        names.append(name)
            else:
                current = inputs.get(method) or {}
                for key, kind in SPECS[method]:
                    name = f"{method}{SEP}{key}"
                    self.fields[name] = self._field(key, kind, _get(current, key))
                    names.append(name)
            self.groups.append({"method": method, "label": Method(method).label, "names": names})
        sim = inputs.get("simulation") or {}
        self.fields["simulation__draws"] = forms.IntegerField(
            label=INPUT_HELP["draws"][0],
            help_text=INPUT_HELP["draws"][1],
            required=False,
            min_value=100,
            max_value=100_000,
            initial=sim.get("draws"),
        )
        self.fields["simulation__seed"] = forms.IntegerField(
            label=INPUT_HELP["seed"][0],
            help_text=INPUT_HELP["seed"][1],
            required=False,
            min_value=0,
            initial=sim.get("seed"),
        )

    def _field(self, key: str, kind: str, value) -> forms.Field:
        label, help_text = INPUT_HELP.get(key, (key, ""))
        common = {"label": label, "help_text": help_text, "required": False}
        if kind == "bool":
            return forms.BooleanField(initial=bool(value), **common)
        if kind == "int":
            return forms.IntegerField(initial=value, **common)
        if kind == "choice":
            return forms.ChoiceField(choices=[("", "—"), *TransactionType.choices], initial=value, **common)
        if kind == "text":
            return forms.CharField(max_length=20, initial=value, **common)
        if kind in ("series", "series_opt"):
            initial = "\n".join(show_value(v) for v in value) if isinstance(value, list) else ""
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), initial=initial, **common)
        if kind == "costs":
            initial = "\n".join(
                f"{c.get('year')}: {show_value(c.get('amount'))}" for c in value or [] if isinstance(c, dict)
            )
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), initial=initial, **common)
        if kind == "adjustments":
            initial = "\n".join(
                f"{k}: " + ", ".join(f"{n}={show_value(v)}" for n, v in f.items())
                for k, f in (value or {}).items()
            )
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=initial, **common)
        return forms.CharField(max_length=100, initial=show_value(value), **common)

    def clean(self):
        data = super().clean()
        self.parsed: dict[str, Any] = {}
        for method in self.methods:
            if method == "scoring":
                scores: dict[str, dict] = {}
                for category, factors in FACTORS.items():
                    for factor in factors:
                        value = data.get(f"scoring{SEP}{category}.{factor}")
                        if value is not None:
                            scores.setdefault(category, {})[factor] = value
                self.parsed["scoring"] = {"scores": scores}
                continue
            out: dict[str, Any] = {}
            for key, kind in SPECS[method]:
                name = f"{method}{SEP}{key}"
                raw = data.get(name)
                try:
                    value = self._parse(kind, raw)
                except ValidationError as exc:
                    self.add_error(name, exc)
                    continue
                if value is not None:
                    _set(out, key, value)
            self.parsed[method] = out
        sim = {k: data.get(f"simulation__{k}") for k in ("draws", "seed")}
        self.parsed["simulation"] = {k: v for k, v in sim.items() if v is not None}
        return data

    @staticmethod
    def _parse(kind: str, raw):
        if kind == "bool":
            return bool(raw)
        if kind == "int" or raw in (None, ""):
            return raw if raw not in ("",) else None
        if kind in ("text", "choice"):
            return raw.strip() or None
        if kind in ("series", "series_opt"):
            return [parse_value(line) for line in _lines(raw)] or None
        if kind == "costs":
            costs = []
            for line in _lines(raw):
                year, sep, amount = line.partition(":")
                if not sep or not year.strip().isdigit():
                    raise ValidationError(_("Dòng “%(l)s”: cần dạng năm: số tiền."), params={"l": line})
                costs.append({"year": int(year), "amount": parse_value(amount)})
            return costs
        if kind == "adjustments":
            return parse_adjustments(raw)
        return parse_value(raw)


def _get(data: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _set(data: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


class VersionNoteForm(forms.Form):
    note = forms.CharField(label=_("Ghi chú phiên bản"), max_length=300, required=False)


class ShareForm(forms.Form):
    deal = forms.ModelChoiceField(label=_("Giao dịch"), queryset=None)
    version = forms.ModelChoiceField(label=_("Phiên bản"), queryset=None)
    language = forms.ChoiceField(
        label=_("Ngôn ngữ báo cáo"), choices=[("vi", "Tiếng Việt"), ("en", "English")]
    )

    def __init__(self, *args, deals, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal"].queryset = deals
        self.fields["deal"].label_from_instance = lambda d: (
            f"#{d.pk} {d.listing.title_vi} — {d.get_state_display()}"
        )
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: f"v{v.number} {v.note}"


class PublishForm(forms.Form):
    version = forms.ModelChoiceField(label=_("Phiên bản"), queryset=None)
    opinion = forms.CharField(
        label=_("Ý kiến thẩm định"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    language = forms.ChoiceField(
        label=_("Ngôn ngữ báo cáo"), choices=[("vi", "Tiếng Việt"), ("en", "English")]
    )

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: f"v{v.number} {v.note}"


class ComparableForm(forms.Form):
    title = forms.CharField(label=_("Mô tả ngắn"), max_length=300)
    field_code = forms.CharField(label=_("Mã lĩnh vực"), max_length=10, required=False)
    trl = forms.IntegerField(label=_("TRL"), min_value=1, max_value=9, required=False)
    transaction_type = forms.ChoiceField(
        label=_("Hình thức giao dịch"), choices=[("", "—"), *TransactionType.choices], required=False
    )
    value_vnd = forms.IntegerField(label=_("Giá trị (VND)"), min_value=0)
    year = forms.IntegerField(label=_("Năm giao dịch"), min_value=1990, max_value=2200)
    source_note = forms.CharField(label=_("Nguồn"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
