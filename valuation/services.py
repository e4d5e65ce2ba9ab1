"""Every write to valuations: create, update (recalculate), save a version, delete, assign an appraiser,
publish a signed report, share into a deal room, enter a comparable.

Keyword-only, validated, one transaction each, an audit row ``valuation.<verb>`` / ``comparable.<verb>``.
The numbers come from ``valuation.engine`` (pure Python); this module only feeds it and stores what it says.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipStatus, Organization
from exchange.core.services import audit_record, notify
from listings.selectors import listings_of_user

from . import engine
from . import permissions as vperms
from .messages import engine_error_message
from .models import Comparable, Method, Valuation, ValuationReport, ValuationVersion
from .selectors import DEAL_SOURCE_LABEL, MAX_COMPARABLES, comparables_matching, deal_comparables_matching

REPORT_SEAL_SALT = "valuation.report"
MONEY_METHODS = tuple(m for m in Method.values if m != Method.SCORING)


# --- calculation -------------------------------------------------------------------------------------------
def _simulation_settings(inputs: dict) -> tuple[int | None, int | None]:
    sim = inputs.get("simulation") or {}
    return sim.get("draws"), sim.get("seed")


def market_engine_inputs(method_inputs: dict) -> dict:
    """The market method's engine inputs: explicit ``comparables`` or those matching the saved filters —
    appraiser-entered ones and anonymised ones from deals completed on the exchange whose parties both
    consented — each with the adjustments the user entered for it (keyed by comparable id, or by the
    deal comparable's opaque key)."""
    if method_inputs.get("comparables"):
        return method_inputs
    trl_min, trl_max = method_inputs.get("trl_min"), method_inputs.get("trl_max")
    rows = list(
        comparables_matching(
            field_code=method_inputs.get("field_code") or "",
            trl_min=trl_min if isinstance(trl_min, int) else None,
            trl_max=trl_max if isinstance(trl_max, int) else None,
            transaction_type=method_inputs.get("transaction_type") or "",
        )[:MAX_COMPARABLES]
    )
    deal_rows = deal_comparables_matching(
        field_code=method_inputs.get("field_code") or "",
        trl_min=trl_min if isinstance(trl_min, int) else None,
        trl_max=trl_max if isinstance(trl_max, int) else None,
        transaction_type=method_inputs.get("transaction_type") or "",
    )
    adjustments = method_inputs.get("adjustments") or {}
    return {
        "comparables": [
            *(
                {
                    "label": f"#{c.pk} {c.title}",
                    "value": c.value_vnd,
                    "year": c.year,
                    "adjustments": adjustments.get(str(c.pk), {}),
                }
                for c in rows
            ),
            *(
                {
                    "label": f"{d.key} {DEAL_SOURCE_LABEL}",
                    "value": d.value_vnd,
                    "year": d.year,
                    "adjustments": adjustments.get(d.key, {}),
                }
                for d in deal_rows
            ),
        ],
        "index_rate": method_inputs.get("index_rate", 0),
        "valuation_year": method_inputs.get("valuation_year"),
    }


#: the fewest exchange comparables an anonymous market estimate is computed from (fewer would disclose rows)
ANONYMOUS_MIN_COMPARABLES = 3


def calculate(*, actor, method: str, inputs: dict, draws: int | None = None, seed: int | None = None) -> dict:
    """The open calculator: one method on the caller's inputs. ``market`` with no ``comparables`` runs
    over the exchange's comparables; a caller who may not read them (anonymous) gets the estimate, the
    count and the formula only — no rows (labels, values, years), no low/high (each is one comparable's
    adjusted value) — and per-comparable adjustments are ignored, since they name rows the caller cannot
    see and would let them single one out. Raises ``engine.ValidationError``."""
    from_exchange = method == Method.MARKET and not inputs.get("comparables")
    reveal = vperms.can_read_comparables(actor)
    if from_exchange:
        inputs = market_engine_inputs(inputs if reveal else {**inputs, "adjustments": {}})
    result = engine.calculate(method, inputs, draws=draws, seed=seed)
    if from_exchange and not reveal:
        details = result.get("details") or {}
        if (details.get("count") or 0) < ANONYMOUS_MIN_COMPARABLES:
            # With one or two matches the median is (nearly) one comparable's value: narrowing the
            # filters would read single rows that anonymous callers may not see.
            raise engine.ValidationError(
                "comparables",
                f"at least {ANONYMOUS_MIN_COMPARABLES} matching comparables are needed without signing in",
                code="too_few",
                params={"min": ANONYMOUS_MIN_COMPARABLES},
            )
        result["details"] = {
            "formula": details.get("formula"),
            "count": details.get("count"),
            "comparables_source": "exchange",
            "comparables_hidden": True,
        }
    return result


def run_methods(*, methods: list[str], inputs: dict) -> dict[str, Any]:
    """Each chosen method's result, or its error naming the input (one method's error spares the rest)."""
    draws, seed = _simulation_settings(inputs)
    results: dict[str, Any] = {}
    for method in methods:
        method_inputs = inputs.get(method) or {}
        try:
            if method == Method.MARKET:
                method_inputs = market_engine_inputs(method_inputs)
            results[method] = engine.calculate(method, method_inputs, draws=draws, seed=seed)
        except engine.ValidationError as exc:
            results[method] = {
                "method": method,
                "error": {"input": exc.input, "message": engine_error_message(exc)},
            }
    return {
        "methods": results,
        "computed_at": timezone.now().isoformat(),
        "conventions": list(engine.CONVENTIONS),
    }


def _clean_methods(methods) -> list[str]:
    if not isinstance(methods, (list, tuple)) or not methods:
        raise ValidationError({"methods": _("Chọn ít nhất một phương pháp.")})
    unknown = [m for m in methods if m not in Method.values]
    if unknown:
        raise ValidationError(
            {"methods": _("Phương pháp không hợp lệ: %(m)s") % {"m": ", ".join(map(str, unknown))}}
        )
    return [m for m in Method.values if m in methods]  # a stable order


def _clean_inputs(inputs) -> dict:
    if inputs is None:
        return {}
    if not isinstance(inputs, dict):
        raise ValidationError({"inputs": _("Dữ liệu đầu vào phải là một đối tượng JSON.")})
    allowed = {*Method.values, "simulation"}
    unknown = set(inputs) - allowed
    if unknown:
        raise ValidationError({"inputs": _("Khóa không hợp lệ: %(k)s") % {"k": ", ".join(sorted(unknown))}})
    return inputs


def _snapshot(valuation: Valuation) -> dict:
    return {"title": valuation.title, "methods": valuation.methods, "listing": valuation.listing_id}


# --- valuations --------------------------------------------------------------------------------------------
def _check_listing(actor, listing):
    if listing is not None and not listings_of_user(actor).filter(pk=listing.pk).exists():
        raise ValidationError({"listing": _("Bạn chỉ có thể chọn công nghệ của mình.")})


def _default_organization(actor, listing) -> Organization | None:
    org_ids = list(
        actor.memberships.filter(status=MembershipStatus.ACTIVE).values_list("organization_id", flat=True)
    )
    if listing is not None and listing.organization_id in org_ids:
        return listing.organization
    return Organization.objects.filter(pk__in=org_ids).order_by("pk").first() if org_ids else None


@transaction.atomic
def valuation_create(
    *, actor, title: str, methods: list[str], listing=None, inputs: dict | None = None, is_demo: bool = False
) -> Valuation:
    if not perms.is_authenticated(actor):
        raise PermissionDenied(_("Cần đăng nhập để lưu định giá."))
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Cần đặt tên cho định giá.")})
    methods = _clean_methods(methods)
    inputs = _clean_inputs(inputs)
    _check_listing(actor, listing)
    valuation = Valuation(
        owner=actor,
        organization=_default_organization(actor, listing),
        listing=listing,
        title=title[:200],
        methods=methods,
        inputs=inputs,
        is_demo=is_demo,
    )
    valuation.results = run_methods(methods=methods, inputs=inputs)
    valuation.save()
    audit_record(actor=actor, action="valuation.create", target=valuation, after=_snapshot(valuation))
    return valuation


_UNSET = object()


@transaction.atomic
def valuation_update(
    *, actor, valuation: Valuation, title: str | None = None, methods=None, inputs=None, listing=_UNSET
) -> Valuation:
    valuation = Valuation.objects.select_for_update().get(pk=valuation.pk)
    if not vperms.can_edit(actor, valuation):
        raise PermissionDenied(_("Bạn không được sửa định giá này."))
    before = _snapshot(valuation)
    if title is not None:
        title = title.strip()
        if not title:
            raise ValidationError({"title": _("Cần đặt tên cho định giá.")})
        valuation.title = title[:200]
    if methods is not None:
        valuation.methods = _clean_methods(methods)
    if inputs is not None:
        valuation.inputs = {**valuation.inputs, **_clean_inputs(inputs)}
    if listing is not _UNSET:
        if listing is not None and listing.pk != valuation.listing_id:
            _check_listing(actor, listing)
        valuation.listing = listing
    valuation.results = run_methods(methods=valuation.methods, inputs=valuation.inputs)
    valuation.save()
    audit_record(
        actor=actor, action="valuation.update", target=valuation, before=before, after=_snapshot(valuation)
    )
    return valuation


@transaction.atomic
def valuation_save_version(*, actor, valuation: Valuation, note: str = "") -> ValuationVersion:
    """Freeze the current inputs and freshly computed results as the next version."""
    valuation = Valuation.objects.select_for_update().get(pk=valuation.pk)
    if not vperms.can_edit(actor, valuation):
        raise PermissionDenied(_("Bạn không được sửa định giá này."))
    results = run_methods(methods=valuation.methods, inputs=valuation.inputs)
    number = (valuation.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ValuationVersion.objects.create(
        valuation=valuation,
        number=number,
        methods=valuation.methods,
        inputs=valuation.inputs,
        results=results,
        note=(note or "").strip()[:300],
        created_by=actor,
    )
    valuation.results = results
    valuation.save(update_fields=["results", "updated_at"])
    audit_record(actor=actor, action="valuation.save_version", target=valuation, data={"version": number})
    return version


@transaction.atomic
def valuation_delete(*, actor, valuation: Valuation) -> None:
    if not vperms.can_delete(actor, valuation):
        raise PermissionDenied(_("Chỉ người lập được xóa định giá."))
    if valuation.reports.exists():
        raise ValidationError(_("Định giá đã có báo cáo thẩm định công bố, không thể xóa."))
    audit_record(actor=actor, action="valuation.delete", target=valuation, before=_snapshot(valuation))
    valuation.delete()


@transaction.atomic
def valuation_assign_appraiser(
    *, actor, valuation: Valuation, appraiser, _from_service_request: bool = False
) -> Valuation:
    """Staff assign a licensed appraiser (expert valuation, a support-service request of #6).

    The workspace of a support request is assigned through that request only (its assignee is the
    appraiser), so the two never disagree about who may publish and deliver."""
    if not vperms.can_assign_appraiser(actor):
        raise PermissionDenied(_("Chỉ nhân viên sàn được phân công thẩm định viên."))
    if not vperms.is_appraiser(appraiser):
        raise ValidationError({"appraiser": _("Người được chọn không có vai trò thẩm định viên.")})
    valuation = Valuation.objects.select_for_update().get(pk=valuation.pk)
    if valuation.service_request_id and not _from_service_request:
        raise ValidationError(
            _("Định giá này thuộc yêu cầu dịch vụ DV-%(id)s; hãy phân công thẩm định viên tại yêu cầu đó.")
            % {"id": valuation.service_request_id}
        )
    before = {"appraiser": valuation.appraiser_id}
    valuation.appraiser = appraiser
    valuation.save(update_fields=["appraiser", "updated_at"])
    audit_record(
        actor=actor,
        action="valuation.assign_appraiser",
        target=valuation,
        before=before,
        after={"appraiser": appraiser.pk},
    )
    from django.urls import reverse

    notify(
        recipient=appraiser,
        kind="valuation_appraiser_assigned",
        context={"title": valuation.title, "owner": valuation.owner},
        url=reverse("valuation:detail", args=[valuation.pk]),
        target=valuation,
    )
    return valuation


#: The three approaches of the Vietnamese standards for intangible assets, and the qualitative score.
EXPERT_METHODS = [Method.RELIEF_FROM_ROYALTY, Method.COST, Method.MARKET, Method.SCORING]


def valuation_open_for_service_request(*, actor, request, assignee) -> Valuation | None:
    """The support assign hook for a valuation request: when staff assign an appraiser, the requester
    gets a workspace (owner: the requester; appraiser: the assignee; the request's listing, if any),
    linked to the request; reassigning moves the workspace to the new appraiser. Runs inside the support
    service's transaction. Assigning a staff member (not an appraiser) opens nothing."""
    if not vperms.is_appraiser(assignee):
        return None
    valuation = Valuation.objects.select_for_update().filter(service_request=request).first()
    if valuation is None:
        valuation = Valuation(
            owner=request.requester,
            organization=request.requester_organization,
            listing=request.listing,
            service_request=request,
            title=(
                _("Định giá chuyên gia DV-%(id)s: %(subject)s")
                % {"id": request.pk, "subject": request.listing.title if request.listing_id else ""}
            ).strip(" :")[:200],
            methods=list(EXPERT_METHODS),
            inputs={},
        )
        valuation.results = run_methods(methods=valuation.methods, inputs=valuation.inputs)
        valuation.save()
        audit_record(
            actor=actor,
            action="valuation.create",
            target=valuation,
            after=_snapshot(valuation),
            data={"service_request": request.pk},
        )
    if valuation.appraiser_id != assignee.pk:
        valuation_assign_appraiser(
            actor=actor, valuation=valuation, appraiser=assignee, _from_service_request=True
        )
    return valuation


def _deliver_service_request(*, actor, valuation: Valuation, report: ValuationReport) -> None:
    """Publishing the signed report of an expert valuation delivers its support request (started first
    if it was only accepted). A request already delivered stays so (a revised report); one not yet agreed
    (no accepted quote) or closed cannot be delivered, so the report is not published either."""
    from exchange.support import services as support_services
    from exchange.support.lifecycle import RequestState
    from exchange.support.models import ServiceRequest

    request = ServiceRequest.objects.select_for_update().get(pk=valuation.service_request_id)
    if request.state == RequestState.DELIVERED:
        return
    if request.state not in (RequestState.ACCEPTED, RequestState.IN_PROGRESS):
        raise ValidationError(
            _("Yêu cầu dịch vụ DV-%(id)s chưa được chấp nhận báo giá hoặc đã đóng; chưa thể công bố báo cáo.")
            % {"id": request.pk}
        )
    if request.state == RequestState.ACCEPTED:
        support_services.service_request_start(actor=actor, request=request)
    support_services.service_request_deliver(
        actor=actor,
        request=request,
        note=_("Báo cáo thẩm định #%(id)s đã công bố (SHA-256 %(sha)s).")
        % {"id": report.pk, "sha": report.sha256},
    )


def report_seal(*, sha256: str, appraiser_name: str, published_at) -> str:
    """The exchange's seal over (hash, appraiser, time): proves the platform issued this report."""
    return signing.Signer(salt=REPORT_SEAL_SALT).signature(
        f"{sha256}|{appraiser_name}|{published_at.isoformat()}"
    )


@transaction.atomic
def valuation_publish_report(
    *, actor, valuation: Valuation, version: ValuationVersion, opinion: str = "", language: str = "vi"
) -> ValuationReport:
    """The assigned appraiser publishes a report of one saved version: its HTML, SHA-256, name and time."""
    from .report import render_report_html

    if not vperms.can_publish(actor, valuation):
        raise PermissionDenied(_("Chỉ thẩm định viên được phân công được công bố báo cáo."))
    if version.valuation_id != valuation.pk:
        raise ValidationError({"version": _("Phiên bản không thuộc định giá này.")})
    published_at = timezone.now().replace(microsecond=0)
    name = actor.get_full_name()
    html = render_report_html(
        valuation=valuation,
        version=version,
        language=language,
        appraiser={"name": name, "opinion": (opinion or "").strip(), "published_at": published_at},
    )
    sha = hashlib.sha256(html.encode("utf-8")).hexdigest()
    report = ValuationReport.objects.create(
        valuation=valuation,
        version=version,
        appraiser=actor,
        appraiser_name=name,
        language=language,
        opinion=(opinion or "").strip(),
        content_html=html,
        sha256=sha,
        seal=report_seal(sha256=sha, appraiser_name=name, published_at=published_at),
        published_at=published_at,
    )
    audit_record(
        actor=actor,
        action="valuation.publish_report",
        target=valuation,
        data={"report": report.pk, "version": version.number, "sha256": sha},
    )
    if valuation.service_request_id:
        _deliver_service_request(actor=actor, valuation=valuation, report=report)
    from django.urls import reverse

    notify(
        recipient=valuation.owner,
        kind="valuation_report_published",
        context={"title": valuation.title, "appraiser": name},
        url=reverse("valuation:detail", args=[valuation.pk]),
        target=valuation,
    )
    return report


def report_verify(report: ValuationReport) -> bool:
    """The stored HTML still hashes to the recorded SHA-256 and the seal is the exchange's."""
    expected = report_seal(
        sha256=report.sha256, appraiser_name=report.appraiser_name, published_at=report.published_at
    )
    return report.content_matches() and signing.constant_time_compare(expected, report.seal)


def _share_text(valuation: Valuation, version: ValuationVersion) -> str:
    from .report import method_label, money

    lines = [
        _("Chia sẻ định giá “%(title)s” (phiên bản %(n)s):") % {"title": valuation.title, "n": version.number}
    ]
    for method, result in (version.results.get("methods") or {}).items():
        label = method_label(method)
        if "error" in result:
            continue
        if method == Method.SCORING:
            lines.append(f"• {label}: {result['details']['overall']}/5")
            continue
        text = f"• {label}: {money(result['value'])}"
        if result.get("range"):
            r = result["range"]
            text += f" (P10 {money(r['p10'])} – P90 {money(r['p90'])})"
        lines.append(text)
    lines.append(
        _(
            "Kết quả hỗ trợ đàm phán, không thay thế chứng thư thẩm định giá "
            "của tổ chức thẩm định có giấy phép."
        )
    )
    return "\n".join(lines)


def valuation_share_to_deal(
    *, actor, valuation: Valuation, version: ValuationVersion, deal, language: str = "vi"
):
    """Post a summary of one saved version into a deal room, with the PDF report attached when it can
    be drawn; the deal's own service decides whether this person may post there now."""
    from exchange.deals import permissions as dperms
    from exchange.deals.services import deal_send_message

    from .pdf import PdfUnavailable, valuation_pdf

    if not vperms.can_share(actor, valuation):
        raise PermissionDenied(_("Bạn không được chia sẻ định giá này."))
    if version.valuation_id != valuation.pk:
        raise ValidationError({"version": _("Phiên bản không thuộc định giá này.")})
    if dperms.side_of(actor, deal) not in ("buyer", "seller"):
        raise PermissionDenied(_("Bạn chỉ có thể chia sẻ vào giao dịch mà tổ chức của bạn là một bên."))
    attachment = None
    try:
        data = valuation_pdf(valuation=valuation, version=version, language=language)
        attachment = ContentFile(data, name=f"dinh-gia-{valuation.pk}-v{version.number}.pdf")
    except PdfUnavailable:
        attachment = None
    with transaction.atomic():
        message = deal_send_message(
            actor=actor, deal=deal, body=_share_text(valuation, version), attachment=attachment
        )
        audit_record(
            actor=actor,
            action="valuation.share",
            target=valuation,
            data={"deal": deal.pk, "message": message.pk, "version": version.number},
        )
    return message


# --- comparables -------------------------------------------------------------------------------------------
@transaction.atomic
def comparable_create(
    *,
    actor,
    title: str,
    value_vnd: int,
    year: int,
    field=None,
    trl: int | None = None,
    transaction_type: str = "",
    source_note: str = "",
    source_deal=None,
    is_demo: bool = False,
) -> Comparable:
    if not vperms.can_enter_comparables(actor):
        raise PermissionDenied(_("Chỉ thẩm định viên hoặc nhân viên sàn được nhập giao dịch so sánh."))
    comparable = Comparable(
        title=(title or "").strip()[:300],
        value_vnd=value_vnd,
        year=year,
        field=field,
        trl=trl,
        transaction_type=transaction_type or "",
        source_note=source_note or "",
        source_deal=source_deal,
        entered_by=actor,
        is_demo=is_demo,
    )
    comparable.full_clean()
    comparable.save()
    audit_record(
        actor=actor,
        action="comparable.create",
        target=comparable,
        after={"value_vnd": value_vnd, "year": year},
    )
    return comparable
