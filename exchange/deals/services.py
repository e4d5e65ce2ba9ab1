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

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipRole, MembershipStatus, Organization, PlatformRole
from exchange.core.middleware import current_ip
from exchange.core.services import audit_record, notify
from listings.lifecycle import PUBLIC_STATES
from listings.models import Listing, ListingKind, TransactionType
from listings.services import listing_stat_increment
from listings.validators import validate_attachment

from . import permissions as dperms
from .contracts import CONTRACT_LANGUAGES, render_contract
from .lifecycle import (
    ACTION_LABELS,
    OPEN_STATES,
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
    Message,
    MilestoneKind,
    MilestoneStatus,
    NdaAcceptance,
    NdaTemplate,
    Side,
    Signature,
    SignatureMethod,
    TermSheet,
    sha256_text,
)

S = DealState
MESSAGE_MAX_CHARS = 10_000


# --- helpers ----------------------------------------------------------------------------------------
def _lock(deal: Deal | int) -> Deal:
    queryset = Deal.objects.select_for_update().select_related(
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
    listing = Listing.objects.select_for_update().select_related("organization").get(pk=listing.pk)
    if listing.state not in PUBLIC_STATES:
        raise WrongState(_("Chỉ có thể bày tỏ quan tâm với tin đang đăng."), action="create_inquiry")
    if organization.pk == listing.organization_id:
        raise ValidationError({"organization": _("Không thể giao dịch với chính tổ chức của mình.")})
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
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Tin nhắn không được để trống.")})
    if len(body) > MESSAGE_MAX_CHARS:
        raise ValidationError({"body": _("Tin nhắn quá dài.")})
    message = Message(deal=deal, author=actor, side=dperms.side_of(actor, deal), body=body)
    if attachment is not None:
        try:
            validate_attachment(attachment)
        except ValidationError as exc:
            raise ValidationError({"attachment": exc.messages}) from exc
        name = (getattr(attachment, "name", "") or "file").rsplit("/", 1)[-1][:255]
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


def deal_sign(
    *, actor, deal: Deal, password: str, side: str | None = None, ip: str | None = None
) -> Signature:
    """Click-to-sign by an authorised signatory of one party, confirmed with the account password.

    The signature stores the SHA-256 of the exact contract HTML; a contract whose content or terms no
    longer match their hashes cannot be signed, and the attempt is audited outside the refused
    transaction so that the evidence survives the rollback.
    """
    if dperms.signatory_sides(actor, deal):
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
    return _deal_sign(actor=actor, deal=deal, password=password, side=side, ip=ip)


@transaction.atomic
def _deal_sign(*, actor, deal: Deal, password: str, side: str | None, ip: str | None) -> Signature:
    deal = _lock(deal)
    _check("sign", deal, actor)
    sides = dperms.signatory_sides(actor, deal)
    if side is None and len(sides) == 1:
        side = sides[0]
    if side not in sides:
        raise _refuse("sign", deal)
    if not password or not actor.check_password(password):
        raise ValidationError({"password": _("Mật khẩu không đúng.")}, code="bad_password")
    contract = _active_contract(deal)
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
    signature = Signature.objects.create(
        contract=contract,
        side=side,
        user=actor,
        user_name=actor.get_full_name(),
        organization=deal.organization_of(side),
        method=SignatureMethod.CLICK,
        document_sha256=contract.sha256,
        ip_address=ip or current_ip(),
    )
    before = _snapshot(deal)
    signed_sides = set(contract.signatures.filter(voided_at__isnull=True).values_list("side", flat=True))
    fully = signed_sides >= {Side.BUYER, Side.SELLER}
    target = S.SIGNED if fully else S.CONTRACT_READY
    get_transition("sign", deal.state, target)
    deal.state = target
    if fully:
        deal.signed_at = timezone.now()
    deal.save(update_fields=["state", "signed_at", "updated_at"])
    _audit(actor, "sign", deal, before, {"contract": contract.pk, "side": side, "sha256": contract.sha256})
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
