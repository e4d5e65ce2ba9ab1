"""Every write to a deal: each lifecycle transition, messages, NDA, terms, contract, signatures, milestones.

Services are keyword-only, lock the deal with ``select_for_update`` inside one transaction, check the
transition against ``exchange.deals.lifecycle`` and the actor against ``exchange.deals.permissions``
(``NotPermitted`` for the wrong person before ``WrongState`` for the wrong moment), write an audit row
``deal.<verb>`` with the state before and after, and notify the other people concerned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipRole, MembershipStatus, Organization, PlatformRole
from exchange.core.middleware import current_ip
from exchange.core.ratelimit import rate_limit_hit
from exchange.core.services import audit_record, notify
from listings.lifecycle import PUBLIC_STATES
from listings.models import Listing, ListingKind, TransactionType
from listings.services import listing_stat_increment
from listings.validators import IMAGE_EXTENSIONS, reencode_image, safe_filename, validate_attachment

from . import permissions as dperms
from .contracts import CONTRACT_LANGUAGES, render_contract
from .lifecycle import (
    ACTION_LABELS,
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    DealState,
    NotPermitted,
    WrongState,
    check_activity,
    get_transition,
    transitions_for,
)
from .models import (
    TERM_FIELDS,
    Contract,
    Deal,
    DealMilestone,
    DealRating,
    Message,
    MilestoneKind,
    MilestoneStatus,
    NdaAcceptance,
    NdaTemplate,
    Side,
    Signature,
    SignatureCode,
    SignatureMethod,
    TermSheet,
    sha256_text,
)

S = DealState
MESSAGE_MAX_CHARS = 10_000


# --- helpers ----------------------------------------------------------------------------------------
def _lock(deal: Deal | int) -> Deal:
    queryset = Deal.objects.select_for_update(of=("self",)).select_related(
        "listing",
        "listing__organization",
        "buyer_organization",
        "seller_organization",
        "broker",
        "nda_template",
    )
    if isinstance(deal, Deal):
        deal.refresh_from_db(from_queryset=queryset)
        return deal
    return queryset.get(pk=deal)


def _label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _refuse(action: str, deal: Deal) -> NotPermitted:
    return NotPermitted(
        _("Bạn không có quyền %(action)s trong giao dịch này.") % {"action": _label(action)},
        action=action,
        state=deal.state,
    )


#: Why an assigned broker is refused the confidential parts of a deal until they accept its NDA.
BROKER_NDA_FIRST = _lazy(
    "Vui lòng chấp nhận thỏa thuận bảo mật của giao dịch trước khi xem nội dung bảo mật."
)
#: Why a broker who never accepted the NDA can no longer do so (``lifecycle.BROKER_NDA_STATES``).
BROKER_NDA_ENDED = _lazy(
    "Giao dịch đã kết thúc nên không thể chấp nhận thỏa thuận bảo mật nữa; nội dung bảo mật vẫn đóng "
    "với bạn, bạn vẫn xem được tóm tắt giao dịch."
)


def _require_confidential(action: str, deal: Deal, actor) -> None:
    """Refuse (``NotPermitted``) an assigned broker whose NDA is outstanding: posting into the thread or
    proposing terms would mean taking part in content they may not read yet."""
    if dperms.broker_nda_outstanding(actor, deal):
        raise NotPermitted(BROKER_NDA_FIRST, action=action, state=deal.state)


def _check(action: str, deal: Deal, actor, *, target: str | None = None):
    """The transition row; checks the person (``NotPermitted``) before the state (``WrongState``)."""
    kinds = dperms.actor_kinds(actor, deal)
    any_state_who = set().union(*(t.who for t in TRANSITIONS if t.action == action))
    if not kinds & any_state_who:
        raise _refuse(action, deal)
    rows = transitions_for(action, deal.state)
    if rows and not kinds & set().union(*(t.who for t in rows)):
        raise _refuse(action, deal)
    return get_transition(action, deal.state, target)


def _check_activity(action: str, deal: Deal, actor) -> None:
    kinds = dperms.actor_kinds(actor, deal)
    from .lifecycle import ACTIVITIES

    if not kinds & ACTIVITIES[action][1]:
        raise _refuse(action, deal)
    check_activity(action, deal.state)


def _snapshot(deal: Deal) -> dict[str, Any]:
    return {"state": deal.state, "broker": deal.broker_id, "value_vnd": deal.value_vnd}


def _audit(actor, verb: str, deal: Deal, before: dict | None, data: dict | None = None, target=None):
    audit_record(
        actor=actor,
        action=f"deal.{verb}",
        target=target or deal,
        before=before,
        after=_snapshot(deal),
        data={"deal": deal.pk, **(data or {})},
    )


def _side_people(deal: Deal, side: str) -> list:
    """Who hears about a deal for one side: its TTO managers and signatories, plus the people who started
    it (the initiator for the counterparty, the listing's creator and co-authors for the owner)."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization_id=deal.organization_of(side).pk,
            memberships__status=MembershipStatus.ACTIVE,
            memberships__role__in=[MembershipRole.TTO_MANAGER, MembershipRole.SIGNATORY],
        )
        .distinct()
    )
    people = {u.pk: u for u in users}
    if side == deal.owner_side:
        listing = deal.listing
        if listing.created_by_id and perms.is_member(listing.created_by, deal.owner_organization.pk):
            people[listing.created_by_id] = listing.created_by
    elif deal.initiated_by_id and deal.initiated_by.is_active:
        people[deal.initiated_by_id] = deal.initiated_by
    return list(people.values())


def _recipients(deal: Deal, *, sides: Iterable[str], exclude=None, broker: bool = True) -> list:
    people = {}
    for side in sides:
        for user in _side_people(deal, side):
            people[user.pk] = user
    if broker and deal.broker_id and deal.broker.is_active:
        people[deal.broker_id] = deal.broker
    if exclude is not None:
        people.pop(exclude.pk, None)
    return list(people.values())


def _both(deal: Deal, actor, kind: str, **context) -> None:
    _notify(deal, kind, _recipients(deal, sides=(Side.BUYER, Side.SELLER), exclude=actor), actor, **context)


def _other_side(deal: Deal, actor, kind: str, acting_side: str, **context) -> None:
    other = Side.SELLER if acting_side == Side.BUYER else Side.BUYER
    _notify(deal, kind, _recipients(deal, sides=(other,), exclude=actor), actor, **context)


def _notify(deal: Deal, kind: str, recipients: Iterable, actor, **context) -> None:
    side = dperms.side_of(actor, deal) if actor is not None else None
    organization = deal.organization_of(side) if side in (Side.BUYER, Side.SELLER) else None
    base = {
        "deal": f"GD-{deal.pk}",
        "title": deal.listing.title or deal.listing.ref,
        "actor": str(actor) if actor is not None else "",
        "organization": str(organization) if organization else _("Sàn giao dịch công nghệ"),
        "reason": "",
        **context,
    }
    for user in recipients:
        notify(recipient=user, kind=kind, context=base, url=deal.get_absolute_url(), target=deal)


def _party_side(actor, deal: Deal, action: str) -> str:
    side = dperms.side_of(actor, deal)
    if side not in (Side.BUYER, Side.SELLER):
        raise _refuse(action, deal)
    return side


def _active_contract(deal: Deal) -> Contract | None:
    return deal.contracts.filter(superseded_at__isnull=True).select_related("term_sheet").first()


def _void_contracts(deal: Deal, *, actor, reason: str) -> int:
    """Supersede the deal's live contract and void its signatures; returns how many signatures died."""
    now = timezone.now()
    voided = 0
    for contract in deal.contracts.filter(superseded_at__isnull=True):
        voided += contract.signatures.filter(voided_at__isnull=True).update(
            voided_at=now, void_reason=reason[:300]
        )
        contract.superseded_at = now
        contract.save(update_fields=["superseded_at"])
        audit_record(
            actor=actor,
            action="deal.contract_superseded",
            target=contract,
            data={"deal": deal.pk, "signatures_voided": voided, "reason": reason},
        )
    return voided


# --- inquiry ----------------------------------------------------------------------------------------
@transaction.atomic
def deal_create_inquiry(*, actor, listing: Listing, organization: Organization, message: str) -> Deal:
    """A member of a (business or research) organisation expresses interest in a published listing."""
    if not perms.is_authenticated(actor) or not perms.is_member(actor, organization.pk):
        raise NotPermitted(
            _("Bạn cần là thành viên đang hoạt động của tổ chức để bày tỏ quan tâm thay mặt tổ chức."),
            action="create_inquiry",
        )
    listing = (
        Listing.objects.select_for_update(of=("self",)).select_related("organization").get(pk=listing.pk)
    )
    if listing.state not in PUBLIC_STATES:
        raise WrongState(_("Chỉ có thể bày tỏ quan tâm với tin đang đăng."), action="create_inquiry")
    if listing.origin != settings.EXCHANGE_ORIGIN:
        # Another exchange's listing: the inquiry travels to its origin (regional_network.inquiries).
        raise WrongState(
            _("Tin này thuộc sàn khác: hãy gửi quan tâm tới sàn gốc của tin."), action="create_inquiry"
        )
    if organization.pk == listing.organization_id:
        raise ValidationError({"organization": _("Không thể giao dịch với chính tổ chức của mình.")})
    rate_limit_hit("deal_inquiry", actor.pk)
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Vui lòng viết vài dòng giới thiệu nhu cầu của bạn.")})
    if len(message) > MESSAGE_MAX_CHARS:
        raise ValidationError({"message": _("Tin nhắn quá dài.")})
    if (
        Deal.objects.filter(listing=listing, state__in=OPEN_STATES, buyer_organization=organization).exists()
        or Deal.objects.filter(
            listing=listing, state__in=OPEN_STATES, seller_organization=organization
        ).exists()
    ):
        raise ValidationError(
            {"organization": _("Tổ chức của bạn đã có một giao dịch đang mở cho tin này.")}, code="duplicate"
        )
    if listing.kind == ListingKind.OFFER:
        buyer, seller = organization, listing.organization
    else:
        buyer, seller = listing.organization, organization
    deal = Deal.objects.create(
        listing=listing,
        buyer_organization=buyer,
        seller_organization=seller,
        initiated_by=actor,
        state=S.INQUIRY,
    )
    counter_side = Side.BUYER if listing.kind == ListingKind.OFFER else Side.SELLER
    Message.objects.create(deal=deal, author=actor, side=counter_side, body=message)
    _audit(actor, "create_inquiry", deal, None, {"listing": listing.pk, "organization": organization.pk})
    listing_stat_increment(listing_id=listing.pk, field="inquiries")
    _notify(
        deal,
        "deal_inquiry_received",
        _recipients(deal, sides=(deal.owner_side,), exclude=actor, broker=False),
        actor,
    )
    return deal


@transaction.atomic
def deal_accept(*, actor, deal: Deal, nda_template: NdaTemplate | None = None) -> Deal:
    """The listing's side accepts the conversation; with a template it asks for an NDA at once."""
    deal = _lock(deal)
    transition = _check("accept", deal, actor)
    before = _snapshot(deal)
    deal.state = transition.target
    deal.save(update_fields=["state", "updated_at"])
    _audit(actor, "accept", deal, before)
    if nda_template is None:
        _notify(deal, "deal_accepted", _recipients(deal, sides=(_counter(deal),), exclude=actor), actor)
    else:
        deal_require_nda(actor=actor, deal=deal, template=nda_template)
    return deal


def _counter(deal: Deal) -> str:
    return Side.BUYER if deal.owner_side == Side.SELLER else Side.SELLER


@transaction.atomic
def deal_decline(*, actor, deal: Deal, reason: str = "") -> Deal:
    deal = _lock(deal)
    transition = _check("decline", deal, actor)
    before = _snapshot(deal)
    deal.state = transition.target
    deal.close_reason = (reason or "").strip()
    deal.save(update_fields=["state", "close_reason", "updated_at"])
    _audit(actor, "decline", deal, before, {"reason": deal.close_reason})
    _notify(
        deal,
        "deal_declined",
        _recipients(deal, sides=(_counter(deal),), exclude=actor),
        actor,
        reason=deal.close_reason or "—",
    )
    return deal


# --- NDA ----------------------------------------------------------------------------------------------
def nda_templates_for(deal: Deal):
    """The exchange's standard texts and the owner organisation's own, active ones only."""
    from django.db.models import Q

    return NdaTemplate.objects.filter(active=True).filter(
        Q(organization__isnull=True) | Q(organization_id=deal.owner_organization.pk)
    )


@transaction.atomic
def deal_require_nda(*, actor, deal: Deal, template: NdaTemplate) -> Deal:
    deal = _lock(deal)
    transition = _check("require_nda", deal, actor)
    if not nda_templates_for(deal).filter(pk=template.pk).exists():
        raise ValidationError({"template": _("Mẫu thỏa thuận bảo mật không dùng được cho giao dịch này.")})
    before = _snapshot(deal)
    deal.state = transition.target
    deal.nda_template = template
    deal.save(update_fields=["state", "nda_template", "updated_at"])
    _audit(actor, "require_nda", deal, before, {"template": template.pk, "sha256": template.sha256})
    _notify(deal, "deal_nda_required", _recipients(deal, sides=(_counter(deal),), exclude=actor), actor)
    return deal


@transaction.atomic
def deal_accept_nda(*, actor, deal: Deal, text_sha256: str, ip: str | None = None) -> NdaAcceptance:
    """The counterparty accepts the exact NDA text it was shown (its hash must match the template's).

    Only an identified member of a verified organisation may accept; the acceptance records who, for which
    organisation, when, from which IP and the hash of the text.
    """
    deal = _lock(deal)
    transition = _check("accept_nda", deal, actor)
    organization = deal.counterparty_organization
    if not organization.verified:
        raise NotPermitted(
            _("Tổ chức của bạn cần được sàn xác minh trước khi ký thỏa thuận bảo mật."),
            action="accept_nda",
            state=deal.state,
        )
    template = deal.nda_template
    if template is None or text_sha256 != template.sha256:
        raise ValidationError(
            {"text_sha256": _("Nội dung thỏa thuận đã thay đổi; vui lòng đọc lại trước khi chấp nhận.")}
        )
    before = _snapshot(deal)
    acceptance = NdaAcceptance.objects.create(
        deal=deal,
        template=template,
        user=actor,
        user_name=actor.get_full_name(),
        organization=organization,
        side=_counter(deal),
        text=template.body,
        text_sha256=template.sha256,
        ip_address=ip or current_ip(),
    )
    deal.state = transition.target
    deal.save(update_fields=["state", "updated_at"])
    _audit(actor, "accept_nda", deal, before, {"acceptance": acceptance.pk, "sha256": acceptance.text_sha256})
    _notify(deal, "deal_nda_accepted", _recipients(deal, sides=(deal.owner_side,), exclude=actor), actor)
    return acceptance


@transaction.atomic
def deal_broker_accept_nda(*, actor, deal: Deal, text_sha256: str, ip: str | None = None) -> NdaAcceptance:
    """The assigned broker accepts the deal's NDA personally; only then do the listing's confidential
    files open to them (while they stay assigned and the deal is in negotiation or later)."""
    deal = _lock(deal)
    try:
        _check_activity("broker_accept_nda", deal, actor)
    except WrongState as exc:
        if deal.state in TERMINAL_STATES and deal.nda_template_id:
            raise WrongState(BROKER_NDA_ENDED, action="broker_accept_nda", state=deal.state) from exc
        raise
    template = deal.nda_template
    if template is None:
        raise WrongState(
            _("Giao dịch này không yêu cầu thỏa thuận bảo mật."), action="broker_accept_nda", state=deal.state
        )
    if text_sha256 != template.sha256:
        raise ValidationError(
            {"text_sha256": _("Nội dung thỏa thuận đã thay đổi; vui lòng đọc lại trước khi chấp nhận.")}
        )
    if deal.nda_acceptances.filter(user=actor, side=Side.BROKER, template=template).exists():
        raise WrongState(
            _("Bạn đã chấp nhận thỏa thuận bảo mật này."), action="broker_accept_nda", state=deal.state
        )
    acceptance = NdaAcceptance.objects.create(
        deal=deal,
        template=template,
        user=actor,
        user_name=actor.get_full_name(),
        organization=None,
        side=Side.BROKER,
        text=template.body,
        text_sha256=template.sha256,
        ip_address=ip or current_ip(),
    )
    _audit(
        actor,
        "broker_accept_nda",
        deal,
        _snapshot(deal),
        {"acceptance": acceptance.pk, "sha256": acceptance.text_sha256},
    )
    _both(deal, actor, "deal_broker_nda_accepted")
    return acceptance


@transaction.atomic
def deal_open_negotiation(*, actor, deal: Deal) -> Deal:
    """Accepted without an NDA: the listing's side opens the negotiation room directly."""
    deal = _lock(deal)
    transition = _check("open_negotiation", deal, actor)
    before = _snapshot(deal)
    deal.state = transition.target
    deal.save(update_fields=["state", "updated_at"])
    _audit(actor, "open_negotiation", deal, before)
    _notify(deal, "deal_negotiation_opened", _recipients(deal, sides=(_counter(deal),), exclude=actor), actor)
    return deal


# --- messages ---------------------------------------------------------------------------------------
@transaction.atomic
def deal_send_message(*, actor, deal: Deal, body: str, attachment=None) -> Message:
    deal = _lock(deal)
    _check_activity("send_message", deal, actor)
    _require_confidential("send_message", deal, actor)
    rate_limit_hit("deal_message", actor.pk)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Tin nhắn không được để trống.")})
    if len(body) > MESSAGE_MAX_CHARS:
        raise ValidationError({"body": _("Tin nhắn quá dài.")})
    message = Message(deal=deal, author=actor, side=dperms.side_of(actor, deal), body=body)
    if attachment is not None:
        try:
            if validate_attachment(attachment) in IMAGE_EXTENSIONS:
                attachment = reencode_image(attachment)  # drop EXIF/GPS and appended payloads
        except ValidationError as exc:
            raise ValidationError({"attachment": exc.messages}) from exc
        name = safe_filename(getattr(attachment, "name", ""))
        message.attachment_name = name
        message.attachment_size = attachment.size
        message.attachment.save(name, attachment, save=False)
    message.save()
    deal.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="deal.send_message",
        target=deal,
        data={"deal": deal.pk, "message": message.pk, "attachment": message.attachment_name},
    )
    excerpt = body if len(body) <= 200 else body[:197] + "…"
    _notify(
        deal,
        "deal_message",
        _recipients(deal, sides=(Side.BUYER, Side.SELLER), exclude=actor),
        actor,
        excerpt=excerpt,
    )
    return message


# --- terms -------------------------------------------------------------------------------------------
def _clean_milestones(value) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"milestones": _("Các mốc thanh toán phải là một danh sách.")})
    cleaned = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            raise ValidationError({"milestones": _("Mốc %(n)s không hợp lệ.") % {"n": i}})
        label = str(item.get("label", "")).strip()
        try:
            amount = int(item.get("amount_vnd", 0))
        except (TypeError, ValueError):
            amount = -1
        due = str(item.get("due", "") or "").strip()
        if not label or amount < 0:
            raise ValidationError(
                {"milestones": _("Mốc %(n)s cần có nội dung và số tiền (VND) không âm.") % {"n": i}}
            )
        if due:
            try:
                dt.date.fromisoformat(due)
            except ValueError as exc:
                raise ValidationError(
                    {"milestones": _("Hạn của mốc %(n)s phải có dạng YYYY-MM-DD.") % {"n": i}}
                ) from exc
        cleaned.append({"label": label[:300], "amount_vnd": amount, "due": due})
    return cleaned


def _build_term_sheet(deal: Deal, terms: Mapping[str, Any]) -> TermSheet:
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise ValidationError(_("Trường không hợp lệ: %(f)s") % {"f": ", ".join(sorted(unknown))})
    data = dict(terms)
    data["milestones"] = _clean_milestones(data.get("milestones"))
    try:
        data["royalty_percent"] = Decimal(str(data.get("royalty_percent") or "0")).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValidationError({"royalty_percent": _("Tỷ lệ không hợp lệ.")}) from exc
    for name in ("upfront_fee_vnd", "minimum_annual_royalty_vnd", "term_months"):
        if data.get(name) in (None, ""):
            data.pop(name, None)
        elif isinstance(data[name], float):
            raise ValidationError({name: _("Số tiền là số nguyên VND.")})
    if data.get("transaction_type") not in TransactionType.values:
        raise ValidationError({"transaction_type": _("Hình thức giao dịch không hợp lệ.")})
    for name in ("field_of_use", "territory", "improvements", "support_training", "other_terms"):
        data[name] = str(data.get(name) or "").strip()
    sheet = TermSheet(deal=deal, **data)
    sheet.full_clean(
        exclude=["deal", "version", "proposed_side", "proposed_by", "terms_sha256"], validate_unique=False
    )
    return sheet


def term_sheet_latest(deal: Deal) -> TermSheet | None:
    return deal.term_sheets.order_by("-version").first()


@transaction.atomic
def deal_propose_terms(*, actor, deal: Deal, terms: Mapping[str, Any]) -> TermSheet:
    """A new version of the terms (from a party or the broker). Proposing counts as the proposer side's
    acceptance. After agreement or a generated contract the old contract and its signatures are void."""
    deal = _lock(deal)
    transition = _check("propose_terms", deal, actor)
    _require_confidential("propose_terms", deal, actor)
    side = dperms.side_of(actor, deal)
    if side not in (Side.BUYER, Side.SELLER, Side.BROKER):
        raise _refuse("propose_terms", deal)
    sheet = _build_term_sheet(deal, terms)
    previous = term_sheet_latest(deal)
    sheet.version = (previous.version if previous else 0) + 1
    sheet.proposed_by = actor
    sheet.proposed_side = side
    now = timezone.now()
    if side == Side.BUYER:
        sheet.buyer_accepted_by, sheet.buyer_accepted_at = actor, now
    elif side == Side.SELLER:
        sheet.seller_accepted_by, sheet.seller_accepted_at = actor, now
    sheet.terms_sha256 = sheet.compute_sha256()
    sheet.save()
    before = _snapshot(deal)
    voided = 0
    if deal.state == S.CONTRACT_READY:
        voided = _void_contracts(deal, actor=actor, reason=f"terms v{sheet.version}")
    deal.state = transition.target
    deal.value_vnd = None
    deal.save(update_fields=["state", "value_vnd", "updated_at"])
    changes = [c["field"] for c in sheet.diff(previous)]
    _audit(
        actor,
        "propose_terms",
        deal,
        before,
        {"version": sheet.version, "changed": changes, "sha256": sheet.terms_sha256},
    )
    _both(deal, actor, "deal_terms_proposed", version=sheet.version)
    if voided:
        _both(deal, None, "deal_signatures_voided")
    return sheet


@transaction.atomic
def deal_accept_terms(*, actor, deal: Deal, term_sheet: TermSheet) -> TermSheet:
    """One side accepts the current version; when both have, the terms are agreed and the value is set."""
    deal = _lock(deal)
    _check("accept_terms", deal, actor)
    side = _party_side(actor, deal, "accept_terms")
    latest = term_sheet_latest(deal)
    if latest is None or latest.pk != term_sheet.pk:
        raise WrongState(
            _("Chỉ có thể chấp nhận phiên bản điều khoản mới nhất."), action="accept_terms", state=deal.state
        )
    sheet = TermSheet.objects.select_for_update().get(pk=term_sheet.pk)
    if getattr(sheet, f"{side}_accepted_at"):
        raise WrongState(_("Bên bạn đã chấp nhận phiên bản này."), action="accept_terms", state=deal.state)
    setattr(sheet, f"{side}_accepted_by", actor)
    setattr(sheet, f"{side}_accepted_at", timezone.now())
    sheet.save(update_fields=[f"{side}_accepted_by", f"{side}_accepted_at"])
    before = _snapshot(deal)
    target = S.TERMS_AGREED if sheet.is_agreed else S.NEGOTIATING
    get_transition("accept_terms", deal.state, target)
    deal.state = target
    if sheet.is_agreed:
        deal.value_vnd = sheet.fixed_value_vnd
    deal.save(update_fields=["state", "value_vnd", "updated_at"])
    _audit(actor, "accept_terms", deal, before, {"version": sheet.version, "side": side})
    if sheet.is_agreed:
        _both(deal, actor, "deal_terms_agreed", version=sheet.version)
    else:
        _other_side(deal, actor, "deal_terms_accepted", side, version=sheet.version)
    return sheet


# --- contract and signatures --------------------------------------------------------------------------
@transaction.atomic
def deal_generate_contract(*, actor, deal: Deal, language: str = "vi") -> Contract:
    """Render the contract from the agreed terms; re-generating supersedes the previous one (and voids its
    signatures). Refused once fully signed: a signed contract never changes."""
    deal = _lock(deal)
    transition = _check("generate_contract", deal, actor)
    if language not in CONTRACT_LANGUAGES:
        raise ValidationError({"language": _("Ngôn ngữ hợp đồng không hợp lệ.")})
    sheet = term_sheet_latest(deal)
    if sheet is None or not sheet.is_agreed:
        raise WrongState(
            _("Hai bên chưa thống nhất điều khoản."), action="generate_contract", state=deal.state
        )
    before = _snapshot(deal)
    voided = _void_contracts(deal, actor=actor, reason="regenerated")
    html, registration = render_contract(deal=deal, term_sheet=sheet, language=language)
    contract = Contract.objects.create(
        deal=deal,
        term_sheet=sheet,
        terms_sha256=sheet.compute_sha256(),
        language=language,
        content_html=html,
        sha256=sha256_text(html),
        registration_required=registration["required"],
        registration=registration,
        generated_by=actor,
    )
    deal.state = transition.target
    deal.save(update_fields=["state", "updated_at"])
    _audit(
        actor,
        "generate_contract",
        deal,
        before,
        {"contract": contract.pk, "sha256": contract.sha256, "language": language, "version": sheet.version},
    )
    _both(deal, actor, "deal_contract_ready")
    if voided:
        _both(deal, None, "deal_signatures_voided")
    return contract


def contract_verify(contract: Contract) -> dict[str, Any]:
    """Recompute the hashes: the content, the terms it came from, and each signature's document hash."""
    errors = contract.integrity_errors()
    signatures = []
    for signature in contract.signatures.all():
        valid = signature.voided_at is None and signature.document_sha256 == contract.sha256 and not errors
        signatures.append({"id": signature.pk, "side": signature.side, "valid": valid})
    return {"ok": not errors, "errors": errors, "signatures": signatures}


def _signing_preflight(actor, deal: Deal) -> Contract | None:
    """Refuse (and audit, outside any transaction so the evidence survives) a tampered contract."""
    if not dperms.signatory_sides(actor, deal):
        return None
    contract = _active_contract(deal)
    if contract is not None and contract.integrity_errors():
        audit_record(
            actor=actor,
            action="deal.tamper_detected",
            target=contract,
            data={"deal": deal.pk, "errors": contract.integrity_errors()},
        )
        raise WrongState(
            _("Nội dung hợp đồng không khớp với mã băm đã lưu; không thể ký."),
            action="sign",
            state=deal.state,
            code="tampered",
        )
    return contract


def deal_sign(
    *, actor, deal: Deal, password: str, side: str | None = None, ip: str | None = None
) -> Signature:
    """Click-to-sign by an authorised signatory of one party, confirmed with the account password.

    The signature stores the SHA-256 of the exact contract HTML; a contract whose content or terms no
    longer match their hashes cannot be signed, and the attempt is audited outside the refused
    transaction so that the evidence survives the rollback.
    """
    _signing_preflight(actor, deal)

    def verify(contract, side):
        if not password or not actor.check_password(password):
            raise ValidationError({"password": _("Mật khẩu không đúng.")}, code="bad_password")

    return _deal_sign(actor=actor, deal=deal, side=side, ip=ip, method=SignatureMethod.CLICK, verify=verify)


@transaction.atomic
def _deal_sign(
    *, actor, deal: Deal, side: str | None, ip: str | None, method: str, verify, fields=None, file=None
) -> Signature:
    """The one place a signature is recorded, whatever the method; ``verify(contract, side)`` raises to
    refuse (password, one-time code, certificate check)."""
    deal = _lock(deal)
    _check("sign", deal, actor)
    sides = dperms.signatory_sides(actor, deal)
    if side is None and len(sides) == 1:
        side = sides[0]
    if side not in sides:
        raise _refuse("sign", deal)
    contract = _active_contract(deal)
    verify(contract, side)
    if contract is None:
        raise WrongState(_("Chưa có hợp đồng để ký."), action="sign", state=deal.state)
    if contract.integrity_errors():
        raise WrongState(
            _("Nội dung hợp đồng không khớp với mã băm đã lưu; không thể ký."),
            action="sign",
            state=deal.state,
            code="tampered",
        )
    if contract.signatures.filter(side=side, voided_at__isnull=True).exists():
        raise WrongState(_("Bên này đã ký hợp đồng."), action="sign", state=deal.state)
    signature = Signature(
        contract=contract,
        side=side,
        user=actor,
        user_name=actor.get_full_name(),
        organization=deal.organization_of(side),
        method=method,
        document_sha256=contract.sha256,
        ip_address=ip or current_ip(),
        **(fields or {}),
    )
    if file is not None:
        signature.signed_pdf.save("signed.pdf", file, save=False)
    signature.save()
    before = _snapshot(deal)
    signed_sides = set(contract.signatures.filter(voided_at__isnull=True).values_list("side", flat=True))
    fully = signed_sides >= {Side.BUYER, Side.SELLER}
    target = S.SIGNED if fully else S.CONTRACT_READY
    get_transition("sign", deal.state, target)
    deal.state = target
    if fully:
        deal.signed_at = timezone.now()
    deal.save(update_fields=["state", "signed_at", "updated_at"])
    _audit(
        actor,
        "sign",
        deal,
        before,
        {
            "contract": contract.pk,
            "side": side,
            "sha256": contract.sha256,
            "method": method,
            **(
                {"certificate_subject": signature.certificate_subject}
                if signature.certificate_subject
                else {}
            ),
        },
    )
    if fully:
        reg = contract.registration or {}
        days = reg.get("deadline_days")
        _both(
            deal,
            actor,
            "deal_fully_signed",
            registration_vi=(
                f"Hợp đồng phải đăng ký chuyển giao công nghệ trong {days} ngày."
                if reg.get("required")
                else ""
            ),
            registration_en=(
                f"The transfer must be registered within {days} days." if reg.get("required") else ""
            ),
        )
    else:
        _other_side(deal, actor, "deal_signed_by_side", side)
    return signature


# --- signing with an emailed one-time code ------------------------------------------------------------
SIGNATURE_CODE_HOURLY_LIMIT = 5

_CODE_EMAIL = {
    "vi": (
        "Mã xác thực ký hợp đồng GD-{deal}",
        "Mã xác thực để ký hợp đồng GD-{deal} ({title}) thay mặt {organization} là: {code}\n\n"
        "Mã có hiệu lực trong {minutes} phút và chỉ dùng được một lần. Nếu bạn không yêu cầu mã này, "
        "vui lòng bỏ qua email và báo cho sàn.",
    ),
    "en": (
        "Your code to sign contract GD-{deal}",
        "Your code to sign contract GD-{deal} ({title}) on behalf of {organization} is: {code}\n\n"
        "It is valid for {minutes} minutes and can be used once. If you did not ask for it, please ignore "
        "this email and tell the exchange.",
    ),
}


def _code_hash(*, contract_id: int, user_id: int, code: str) -> str:
    from django.utils.crypto import salted_hmac

    return salted_hmac(
        "exchange.deals.signature_code", f"{contract_id}:{user_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _send_code_email(*, user_id: int, deal_id: int, code: str, minutes: int) -> None:
    """Sent straight after commit (not through the task queue, which would store the plain code)."""
    from django.core.mail import send_mail

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    deal = Deal.objects.select_related("listing").filter(pk=deal_id).first()
    if user is None or deal is None or not user.email:
        return
    language = user.language if user.language in _CODE_EMAIL else "vi"
    subject, body = _CODE_EMAIL[language]
    sides = dperms.signatory_sides(user, deal)
    organization = deal.organization_of(sides[0]) if sides else ""
    context = {
        "deal": deal.pk,
        "title": deal.listing.title or deal.listing.ref,
        "organization": organization,
        "code": code,
        "minutes": minutes,
    }
    send_mail(subject.format(**context), body.format(**context), None, [user.email])


@transaction.atomic
def deal_request_signature_code(*, actor, deal: Deal, side: str | None = None) -> SignatureCode:
    """Email the signatory a 6-digit code to sign the live contract; voids their previous active code."""
    import secrets

    deal = _lock(deal)
    _check_activity("request_signature_code", deal, actor)
    sides = dperms.signatory_sides(actor, deal)
    if side is None and len(sides) == 1:
        side = sides[0]
    if side not in sides:
        raise _refuse("request_signature_code", deal)
    contract = _active_contract(deal)
    if contract is None:
        raise WrongState(_("Chưa có hợp đồng để ký."), action="request_signature_code", state=deal.state)
    if contract.signatures.filter(side=side, voided_at__isnull=True).exists():
        raise WrongState(_("Bên này đã ký hợp đồng."), action="request_signature_code", state=deal.state)
    now = timezone.now()
    recent = SignatureCode.objects.filter(
        contract=contract, user=actor, created_at__gte=now - dt.timedelta(hours=1)
    ).count()
    if recent >= SIGNATURE_CODE_HOURLY_LIMIT:
        raise ValidationError(
            _("Bạn đã yêu cầu quá nhiều mã trong một giờ; vui lòng thử lại sau."), code="throttled"
        )
    SignatureCode.objects.filter(
        contract=contract, user=actor, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    minutes = SignatureCode.LIFETIME_MINUTES
    record = SignatureCode.objects.create(
        contract=contract,
        user=actor,
        side=side,
        code_hash=_code_hash(contract_id=contract.pk, user_id=actor.pk, code=code),
        expires_at=now + dt.timedelta(minutes=minutes),
    )
    audit_record(
        actor=actor,
        action="deal.signature_code_requested",
        target=contract,
        data={"deal": deal.pk, "side": side, "code": record.pk, "expires_at": record.expires_at.isoformat()},
    )
    transaction.on_commit(
        lambda: _send_code_email(user_id=actor.pk, deal_id=deal.pk, code=code, minutes=minutes)
    )
    return record


def _active_code(actor, contract: Contract) -> SignatureCode | None:
    return (
        SignatureCode.objects.select_for_update()
        .filter(contract=contract, user=actor, used_at__isnull=True, revoked_at__isnull=True)
        .first()
    )


def _code_refusal(record: SignatureCode | None, now) -> ValidationError | None:
    if record is None:
        return ValidationError({"code": _("Không có mã xác thực đang hiệu lực; vui lòng yêu cầu mã mới.")})
    if record.expires_at <= now:
        return ValidationError({"code": _("Mã xác thực đã hết hạn; vui lòng yêu cầu mã mới.")})
    if record.attempts >= SignatureCode.MAX_ATTEMPTS:
        return ValidationError({"code": _("Đã nhập sai quá số lần cho phép; vui lòng yêu cầu mã mới.")})
    return None


def _signature_code_check(*, actor, contract: Contract, code: str) -> None:
    """Count a wrong try in its own committed transaction, so the count survives the refusal."""
    refusal = None
    with transaction.atomic():
        record = _active_code(actor, contract)
        refusal = _code_refusal(record, timezone.now())
        if refusal is None:
            expected = _code_hash(contract_id=contract.pk, user_id=actor.pk, code=(code or "").strip())
            from django.utils.crypto import constant_time_compare

            if not constant_time_compare(expected, record.code_hash):
                record.attempts += 1
                record.save(update_fields=["attempts"])
                left = SignatureCode.MAX_ATTEMPTS - record.attempts
                audit_record(
                    actor=actor,
                    action="deal.signature_code_failed",
                    target=contract,
                    data={"deal": contract.deal_id, "code": record.pk, "attempts": record.attempts},
                )
                refusal = ValidationError(
                    {"code": _("Mã xác thực không đúng (còn %(n)s lần thử).") % {"n": max(left, 0)}},
                    code="bad_code",
                )
    if refusal is not None:
        raise refusal


def deal_sign_with_code(
    *, actor, deal: Deal, code: str, side: str | None = None, ip: str | None = None
) -> Signature:
    """Sign with the one-time code emailed by ``deal_request_signature_code`` instead of the password."""
    contract = _signing_preflight(actor, deal)
    if contract is not None:
        _signature_code_check(actor=actor, contract=contract, code=code)

    def verify(contract, side):
        now = timezone.now()
        record = _active_code(actor, contract) if contract is not None else None
        refusal = _code_refusal(record, now)
        if refusal is not None:
            raise refusal
        expected = _code_hash(contract_id=contract.pk, user_id=actor.pk, code=(code or "").strip())
        if expected != record.code_hash or record.side != side:
            raise ValidationError({"code": _("Mã xác thực không đúng.")}, code="bad_code")
        record.used_at = now
        record.save(update_fields=["used_at"])

    return _deal_sign(actor=actor, deal=deal, side=side, ip=ip, method=SignatureMethod.OTP, verify=verify)


# --- signing with a digital certificate -------------------------------------------------------------
def contract_signing_pdf(*, contract: Contract) -> bytes:
    """The frozen PDF to sign with a certificate: rendered and stored the first time, then always the
    same bytes (re-checked against their hash)."""
    import hashlib

    from django.core.files.base import ContentFile

    from .pdf import contract_pdf

    if not contract.signing_pdf:
        with transaction.atomic():
            locked = Contract.objects.select_for_update().get(pk=contract.pk)
            if not locked.signing_pdf:
                data = contract_pdf(locked, with_signatures=False)
                locked.signing_pdf.save("contract.pdf", ContentFile(data), save=False)
                locked.signing_pdf_sha256 = hashlib.sha256(data).hexdigest()
                locked.save(update_fields=["signing_pdf", "signing_pdf_sha256"])
            contract.signing_pdf = locked.signing_pdf
            contract.signing_pdf_sha256 = locked.signing_pdf_sha256
    with contract.signing_pdf.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != contract.signing_pdf_sha256:
        raise WrongState(_("Bản PDF để ký số không khớp với mã băm đã lưu."), action="sign", code="tampered")
    return data


def deal_sign_certificate(
    *, actor, deal: Deal, signed_pdf: bytes, side: str | None = None, ip: str | None = None
) -> Signature:
    """Record a signature from an uploaded copy of the frozen contract PDF signed with a digital
    certificate (checked by ``exchange.deals.certsign``). A refused upload is audited and explained."""
    from django.core.files.base import ContentFile

    from .certsign import CertificateSignatureError, verify_signed_contract_pdf

    contract = _signing_preflight(actor, deal)
    if contract is None:
        # Not a signatory, or nothing to sign: let the signing transaction give the right refusal.
        return _deal_sign(
            actor=actor, deal=deal, side=side, ip=ip, method=SignatureMethod.CERTIFICATE, verify=_no_verify
        )
    if not contract.signing_pdf:
        raise WrongState(
            _("Vui lòng tải bản PDF để ký số của hợp đồng này trước."), action="sign", state=deal.state
        )
    try:
        check = verify_signed_contract_pdf(
            signed=signed_pdf, original=contract_signing_pdf(contract=contract)
        )
    except CertificateSignatureError as exc:
        audit_record(
            actor=actor,
            action="deal.certificate_refused",
            target=contract,
            data={"deal": deal.pk, "reason": exc.code},
        )
        raise ValidationError({"signed_pdf": exc.message}, code=exc.code) from exc

    def verify(current, side):
        if current is None or current.pk != contract.pk:
            raise WrongState(_("Hợp đồng đã thay đổi trong lúc ký; vui lòng ký lại bản mới."), action="sign")

    return _deal_sign(
        actor=actor,
        deal=deal,
        side=side,
        ip=ip,
        method=SignatureMethod.CERTIFICATE,
        verify=verify,
        fields={
            "signed_pdf_sha256": check.sha256,
            "certificate_subject": check.subject,
            "certificate_issuer": check.issuer,
            "certificate_serial": check.serial,
            "certificate_signing_time": check.signing_time,
        },
        file=ContentFile(signed_pdf),
    )


def _no_verify(contract, side) -> None:
    return None


# --- execution ----------------------------------------------------------------------------------------
@transaction.atomic
def deal_start_execution(*, actor, deal: Deal) -> Deal:
    """Create the milestones to track from the signed terms: payments, then support and training."""
    deal = _lock(deal)
    transition = _check("start_execution", deal, actor)
    contract = _active_contract(deal)
    if contract is None or contract.integrity_errors():
        raise WrongState(_("Hợp đồng đã ký không còn toàn vẹn."), action="start_execution", state=deal.state)
    sheet = contract.term_sheet
    position = 0
    rows = []
    if sheet.upfront_fee_vnd:
        rows.append(
            DealMilestone(
                deal=deal,
                kind=MilestoneKind.PAYMENT,
                label=_("Phí trả trước"),
                amount_vnd=sheet.upfront_fee_vnd,
                position=position,
            )
        )
        position += 1
    for item in sheet.milestones:
        due = dt.date.fromisoformat(item["due"]) if item.get("due") else None
        rows.append(
            DealMilestone(
                deal=deal,
                kind=MilestoneKind.PAYMENT,
                label=item["label"],
                amount_vnd=item["amount_vnd"],
                due_date=due,
                position=position,
            )
        )
        position += 1
    if sheet.support_training:
        rows.append(
            DealMilestone(
                deal=deal, kind=MilestoneKind.SUPPORT, label=sheet.support_training[:300], position=position
            )
        )
    DealMilestone.objects.bulk_create(rows)
    before = _snapshot(deal)
    deal.state = transition.target
    deal.save(update_fields=["state", "updated_at"])
    _audit(actor, "start_execution", deal, before, {"milestones": len(rows)})
    _both(deal, actor, "deal_execution_started")
    return deal


@transaction.atomic
def deal_milestone_complete(*, actor, milestone: DealMilestone) -> DealMilestone:
    deal = _lock(milestone.deal_id)
    _check_activity("milestone_done", deal, actor)
    milestone = DealMilestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.status == MilestoneStatus.DONE:
        raise WrongState(_("Mốc này đã được xác nhận."), action="milestone_done", state=deal.state)
    milestone.status = MilestoneStatus.DONE
    milestone.done_at = timezone.now()
    milestone.done_by = actor
    milestone.save(update_fields=["status", "done_at", "done_by"])
    audit_record(
        actor=actor,
        action="deal.milestone_done",
        target=deal,
        data={"deal": deal.pk, "milestone": milestone.pk, "label": milestone.label},
    )
    _both(deal, actor, "deal_milestone_done", label=milestone.label)
    return milestone


@transaction.atomic
def deal_complete(*, actor, deal: Deal, final_value_vnd: int | None = None) -> Deal:
    """Close the deal with its final value (by default the fixed value of the signed terms)."""
    deal = _lock(deal)
    transition = _check("complete", deal, actor)
    if final_value_vnd is not None:
        if isinstance(final_value_vnd, bool) or not isinstance(final_value_vnd, int) or final_value_vnd < 0:
            raise ValidationError({"final_value_vnd": _("Giá trị là số nguyên VND không âm.")})
        deal.value_vnd = final_value_vnd
    before = _snapshot(deal)
    deal.state = transition.target
    deal.completed_at = timezone.now()
    deal.save(update_fields=["state", "value_vnd", "completed_at", "updated_at"])
    _audit(actor, "complete", deal, before)
    _both(deal, actor, "deal_completed", value=f"{deal.value_vnd or 0:,}".replace(",", "."))
    return deal


@transaction.atomic
def deal_cancel(*, actor, deal: Deal, reason: str) -> Deal:
    deal = _lock(deal)
    transition = _check("cancel", deal, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do hủy.")})
    before = _snapshot(deal)
    deal.state = transition.target
    deal.close_reason = reason
    deal.save(update_fields=["state", "close_reason", "updated_at"])
    _audit(actor, "cancel", deal, before, {"reason": reason})
    _both(deal, actor, "deal_cancelled", reason=reason)
    return deal


@transaction.atomic
def deal_assign_broker(*, actor, deal: Deal, broker) -> Deal:
    """Staff assign a broker (a user with the broker or staff platform role) to an open deal."""
    deal = _lock(deal)
    _check_activity("assign_broker", deal, actor)
    if broker is not None and not (
        broker.is_active and broker.has_role(PlatformRole.BROKER, PlatformRole.STAFF)
    ):
        raise ValidationError({"broker": _("Người được phân công phải có vai trò môi giới.")})
    before = _snapshot(deal)
    deal.broker = broker
    deal.save(update_fields=["broker", "updated_at"])
    _audit(actor, "assign_broker", deal, before, {"broker": broker.pk if broker else None})
    if broker is not None:
        _notify(
            deal,
            "deal_broker_assigned",
            _recipients(deal, sides=(Side.BUYER, Side.SELLER), exclude=actor),
            actor,
            broker=str(broker),
        )
    return deal


# --- after completion --------------------------------------------------------------------------------
RATING_COMMENT_MAX_CHARS = 2000


@transaction.atomic
def deal_rate(*, actor, deal: Deal, score: int, comment: str = "") -> DealRating:
    """One side (any member of a party) rates the experience of a completed deal, once."""
    deal = _lock(deal)
    _check_activity("rate", deal, actor)
    side = _party_side(actor, deal, "rate")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Điểm đánh giá từ 1 đến 5.")})
    comment = (comment or "").strip()
    if len(comment) > RATING_COMMENT_MAX_CHARS:
        raise ValidationError({"comment": _("Nhận xét quá dài.")})
    if DealRating.objects.filter(deal=deal, side=side).exists():
        raise WrongState(_("Bên bạn đã đánh giá giao dịch này."), action="rate", state=deal.state)
    rating = DealRating.objects.create(deal=deal, side=side, user=actor, score=score, comment=comment)
    _audit(actor, "rate", deal, None, {"side": side, "score": score}, target=deal)
    return rating


@transaction.atomic
def deal_consent_comparable(*, actor, deal: Deal, consent: bool = True, side: str | None = None) -> Deal:
    """An authorised signatory gives (or withdraws) their side's consent to the deal's anonymised use as a
    valuation comparable; it is used only once completed and both sides consented."""
    deal = _lock(deal)
    _check_activity("consent_comparable", deal, actor)
    sides = dperms.signatory_sides(actor, deal)
    if side is None and len(sides) == 1:
        side = sides[0]
    if side not in sides:
        raise _refuse("consent_comparable", deal)
    field = f"comparable_consent_{side}_at"
    before = {field: getattr(deal, field).isoformat() if getattr(deal, field) else None}
    setattr(deal, field, timezone.now() if consent else None)
    deal.save(update_fields=[field, "updated_at"])
    audit_record(
        actor=actor,
        action="deal.consent_comparable",
        target=deal,
        before=before,
        after={field: getattr(deal, field).isoformat() if getattr(deal, field) else None},
        data={"deal": deal.pk, "side": side, "consent": bool(consent)},
    )
    return deal


def deal_file_record_view(*, actor, deal: Deal, kind: str, ref: int, name: str = "") -> None:
    """Every download of a deal's confidential file (a message attachment, a signed contract PDF) leaves
    an audit row: who, when, from which IP — the same trail as listings' confidential files."""
    audit_record(
        actor=actor,
        action="deal.confidential_file_viewed",
        target=deal,
        data={"kind": kind, "ref": ref, "name": name},
    )
