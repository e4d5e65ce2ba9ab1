"""API shapes of the valuation calculator and of saved valuations."""

from __future__ import annotations

from rest_framework import serializers

from exchange.api import StrictCharField, StrictModelSerializer, StrictSerializer

from .engine import ALL_METHODS, DEFAULT_DRAWS, MAX_DRAWS
from .models import Valuation, ValuationVersion


class CalculateRequestSerializer(StrictSerializer):
    method = serializers.ChoiceField(choices=list(ALL_METHODS))
    inputs = serializers.DictField(
        help_text=(
            "Method inputs. Any numeric input may be a number or a range: {min, mode, max} (triangular) "
            "or {min, max} (uniform); a range turns on the Monte Carlo. Rates are fractions, money is VND."
        )
    )
    draws = serializers.IntegerField(
        required=False,
        min_value=100,
        max_value=MAX_DRAWS,
        help_text=f"Monte Carlo draws (default {DEFAULT_DRAWS}).",
    )
    seed = serializers.IntegerField(required=False, min_value=0, help_text="Random seed (fixed by default).")


class RangeSerializer(StrictSerializer):
    p10 = serializers.IntegerField()
    p50 = serializers.IntegerField()
    p90 = serializers.IntegerField()


class CalculateResponseSerializer(StrictSerializer):
    method = StrictCharField()
    value = serializers.IntegerField(
        allow_null=True, help_text="VND on the most likely inputs (null for scoring)."
    )
    range = RangeSerializer(required=False, help_text="Present when any input is a range.")
    details = serializers.DictField(help_text="Formula, yearly table and the assumptions used.")
    simulation = serializers.DictField(required=False, help_text="Draws, seed, mean, histogram bins.")


class ValuationVersionSerializer(StrictModelSerializer):
    class Meta:
        model = ValuationVersion
        fields = ["id", "number", "methods", "inputs", "results", "note", "created_at"]
        read_only_fields = fields


class ValuationSerializer(StrictModelSerializer):
    listing = serializers.IntegerField(source="listing_id", required=False, allow_null=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True, allow_null=True)
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ALL_METHODS)), allow_empty=False
    )
    inputs = serializers.DictField(required=False)

    class Meta:
        model = Valuation
        fields = [
            "id",
            "title",
            "listing",
            "organization",
            "methods",
            "inputs",
            "results",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "organization", "results", "created_at", "updated_at"]


class SaveVersionSerializer(StrictSerializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=300)
