"""Deal room views. A person who is not part of a deal gets 404 for every URL of it."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.accounts.models import MembershipStatus, Organization
from listings.lifecycle import PUBLIC_STATES
from listings.models import Listing

from . import permissions as dperms
from . import selectors, services
from .forms import (
    AcceptForm,
    BrokerForm,
    CertificateSignForm,
    CodeSignForm,
    CompleteForm,
    ConsentForm,
    ContractForm,
    InquiryForm,
    MessageForm,
    NdaAcceptForm,
    RatingForm,
    ReasonForm,
    SideForm,
    SignForm,
    TermSheetForm,
)
from .lifecycle import Actor, TransitionNotAllowed, available_actions
from .models import DealMilestone, Side, Signature
from .pdf import pdf_available

logger = logging.getLogger(__name__)


def _deal_or_404(request, pk: int):
    deal = selectors.deal_for_user(user=request.user, pk=pk)
    if deal is None:
        raise Http404
    return deal


def _confidential_deal_or_403(request, pk: int):
    """The deal for its confidential pages: 404 for outsiders, 403 for an assigned broker whose NDA is
    outstanding (they know the deal exists; the room shows them the NDA to accept)."""
    deal = _deal_or_404(request, pk)
    if not dperms.can_view_confidential(request.user, deal):
        raise PermissionDenied(services.BROKER_NDA_FIRST)
    return deal


def _errors(request, exc) -> None:
    if isinstance(exc, ValidationError):
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.error(request, getattr(exc, "messages", [str(exc)])[0])


@login_required
def inquiry_create(request, listing_pk: int):
    listing = get_object_or_404(
        Listing.objects.select_related("organization"), pk=listing_pk, state__in=PUBLIC_STATES
    )
    organizations = Organization.objects.filter(
        memberships__user=request.user, memberships__status=MembershipStatus.ACTIVE
    ).exclude(pk=listing.organization_id)
    form = InquiryForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create_inquiry(
                actor=request.user,
                listing=listing,
                organization=form.cleaned_data["organization"],
                message=form.cleaned_data["message"],
            )
        except (ValidationError, TransitionNotAllowed) as exc:
            _errors(request, exc)
        else:
            messages.success(
                request, _("Đã gửi bày tỏ quan tâm. Bên đăng tin sẽ phản hồi trong phòng giao dịch.")
            )
            return redirect(deal)
    return render(
        request,
        "deals/inquiry_form.html",
        {"listing": listing, "form": form, "has_organization": organizations.exists()},
    )


@login_required
@require_GET
def deal_list(request):
    page = Paginator(selectors.deals_for_user(request.user), 20).get_page(request.GET.get("page"))
    hidden = selectors.broker_nda_outstanding_ids(user=request.user, deal_ids=[d.pk for d in page])
    for deal in page:
        deal.value_hidden = deal.pk in hidden
    return render(request, "deals/deal_list.html", {"page_obj": page, "deals": page.object_list})


@login_required
@require_GET
def room(request, pk: int):
    deal = _deal_or_404(request, pk)
    kinds = dperms.actor_kinds(request.user, deal)
    side = dperms.side_of(request.user, deal)
    context = selectors.deal_room_for(user=request.user, deal=deal)
    latest = context["latest"]
    signatory_sides = dperms.signatory_sides(request.user, deal)
    contract = context["contract"]
    signed_sides = {s.side for s in contract.signatures.all() if s.voided_at is None} if contract else set()
    unsigned = [(s, Side(s).label) for s in signatory_sides if s not in signed_sides]
    context.update(
        {
            "deal": deal,
            "kinds": kinds,
            "side": side,
            "is_owner": Actor.OWNER in kinds,
            "is_counterparty": Actor.COUNTERPARTY in kinds,
            "is_staff": Actor.STAFF in kinds,
            "actions": available_actions(deal.state),
            "message_form": MessageForm(),
            "reason_form": ReasonForm(),
            "accept_form": AcceptForm(templates=services.nda_templates_for(deal)),
            "nda_form": NdaAcceptForm(initial={"text_sha256": deal.nda_template.sha256})
            if deal.nda_template
            else None,
            "contract_form": ContractForm(),
            "complete_form": CompleteForm(initial={"final_value_vnd": deal.value_vnd}),
            "broker_form": BrokerForm() if Actor.STAFF in kinds else None,
            "sign_form": SignForm(
                sides=[(s, Side(s).label) for s in signatory_sides if s not in signed_sides]
            )
            if signatory_sides
            else None,
            "can_accept_terms": bool(
                latest and side in (Side.BUYER, Side.SELLER) and not getattr(latest, f"{side}_accepted_at")
            ),
            "code_form": CodeSignForm(sides=unsigned) if unsigned else None,
            "code_request_form": SideForm(sides=unsigned) if unsigned else None,
            "certificate_form": CertificateSignForm(sides=unsigned) if unsigned else None,
            "is_broker": Actor.BROKER in kinds,
            "broker_nda_closed": dperms.broker_nda_closed(request.user, deal),
            "broker_nda_ended": services.BROKER_NDA_ENDED,
            "broker_nda_accepted": any(
                a.side == Side.BROKER and a.user_id == request.user.pk for a in context["nda_acceptances"]
            ),
            "consent_form": ConsentForm(sides=[(s, Side(s).label) for s in signatory_sides])
            if signatory_sides
            else None,
            "rating_form": RatingForm()
            if side in (Side.BUYER, Side.SELLER) and side not in {r.side for r in context["ratings"]}
            else None,
            "verification": services.contract_verify(contract) if contract else None,
            "signed_sides": signed_sides,
            "pdf_available": pdf_available(),
        }
    )
    return render(request, "deals/room.html", context)


@login_required
@require_POST
def action(request, pk: int, name: str):
    """The simple transitions, posted from buttons in the room."""
    deal = _deal_or_404(request, pk)
    user = request.user
    try:
        if name == "accept":
            form = AcceptForm(request.POST, templates=services.nda_templates_for(deal))
            template = form.cleaned_data.get("nda_template") if form.is_valid() else None
            services.deal_accept(actor=user, deal=deal, nda_template=template)
        elif name == "decline":
            services.deal_decline(actor=user, deal=deal, reason=request.POST.get("reason", ""))
        elif name == "open_negotiation":
            services.deal_open_negotiation(actor=user, deal=deal)
        elif name == "accept_nda":
            form = NdaAcceptForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng đánh dấu đồng ý với thỏa thuận bảo mật."))
            services.deal_accept_nda(actor=user, deal=deal, text_sha256=form.cleaned_data["text_sha256"])
        elif name == "accept_terms":
            latest = services.term_sheet_latest(deal)
            if latest is None or str(latest.pk) != request.POST.get("term_sheet"):
                raise ValidationError(_("Điều khoản vừa thay đổi; vui lòng xem lại phiên bản mới nhất."))
            services.deal_accept_terms(actor=user, deal=deal, term_sheet=latest)
        elif name == "generate_contract":
            form = ContractForm(request.POST)
            language = form.cleaned_data["language"] if form.is_valid() else "vi"
            services.deal_generate_contract(actor=user, deal=deal, language=language)
        elif name == "start_execution":
            services.deal_start_execution(actor=user, deal=deal)
        elif name == "complete":
            form = CompleteForm(request.POST)
            value = form.cleaned_data.get("final_value_vnd") if form.is_valid() else None
            services.deal_complete(actor=user, deal=deal, final_value_vnd=value)
        elif name == "cancel":
            services.deal_cancel(actor=user, deal=deal, reason=request.POST.get("reason", ""))
        elif name == "broker_accept_nda":
            form = NdaAcceptForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng đánh dấu đồng ý với thỏa thuận bảo mật."))
            services.deal_broker_accept_nda(
                actor=user, deal=deal, text_sha256=form.cleaned_data["text_sha256"]
            )
        elif name == "rate":
            form = RatingForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng chọn điểm từ 1 đến 5."))
            services.deal_rate(
                actor=user, deal=deal, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
        elif name == "consent_comparable":
            sides = dperms.signatory_sides(user, deal)
            form = ConsentForm(request.POST, sides=[(x, x) for x in sides])
            if not form.is_valid():
                raise ValidationError(_("Vui lòng chọn bên."))
            services.deal_consent_comparable(
                actor=user, deal=deal, consent=form.cleaned_data["consent"], side=form.cleaned_data["side"]
            )
        elif name == "assign_broker":
            form = BrokerForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng chọn nhà môi giới."))
            services.deal_assign_broker(actor=user, deal=deal, broker=form.cleaned_data["broker"])
        else:
            raise Http404
    except (ValidationError, TransitionNotAllowed) as exc:
        _errors(request, exc)
    except DatabaseError:
        # The transition is one transaction, so a lost connection or lock timeout left the deal as it
        # was: tell the person so (instead of the generic 500 page) and keep the traceback for us.
        logger.exception("deal %s: database error during action %r", deal.pk, name)
        messages.error(
            request, _("Không lưu được thay đổi do lỗi cơ sở dữ liệu; chưa có gì thay đổi. Vui lòng thử lại.")
        )
    else:
        messages.success(request, _("Đã cập nhật giao dịch."))
    return redirect(deal)


@login_required
@require_POST
def message_post(request, pk: int):
    deal = _deal_or_404(request, pk)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.deal_send_message(
                actor=request.user,
                deal=deal,
                body=form.cleaned_data["body"],
                attachment=form.cleaned_data.get("attachment"),
            )
        except (ValidationError, TransitionNotAllowed) as exc:
            _errors(request, exc)
    else:
        messages.error(request, _("Tin nhắn không được để trống."))
    return redirect(f"{deal.get_absolute_url()}#messages")


@login_required
def terms_propose(request, pk: int):
    deal = _confidential_deal_or_403(request, pk)
    latest = services.term_sheet_latest(deal)
    form = TermSheetForm(request.POST or None, initial=TermSheetForm.initial_from(latest))
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_propose_terms(actor=request.user, deal=deal, terms=form.cleaned_data)
        except (ValidationError, TransitionNotAllowed) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã gửi đề xuất điều khoản."))
            return redirect(f"{deal.get_absolute_url()}#terms")
    return render(request, "deals/terms_form.html", {"deal": deal, "form": form, "latest": latest})


@login_required
@require_GET
def contract_view(request, pk: int):
    """The live contract as an HTML page; ``?download=1`` serves the exact signed bytes as a file,
    ``?format=pdf`` a PDF rendering of them (404 when fpdf2 or the font is missing)."""
    deal = _confidential_deal_or_403(request, pk)
    contract = deal.contracts.filter(superseded_at__isnull=True).first()
    if contract is None:
        raise Http404
    if request.GET.get("format") == "signing-pdf":
        from .pdf import PdfUnavailable

        try:
            data = services.contract_signing_pdf(contract=contract)
        except PdfUnavailable as exc:
            raise Http404 from exc
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="hop-dong-GD-{deal.pk}-{contract.pk}-de-ky-so.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response
    if request.GET.get("format") == "pdf":
        from .pdf import PdfUnavailable, contract_pdf

        try:
            data = contract_pdf(contract)
        except PdfUnavailable as exc:
            raise Http404 from exc
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="hop-dong-GD-{deal.pk}-{contract.pk}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
    if request.GET.get("download"):
        response = HttpResponse(contract.content_html, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="hop-dong-GD-{deal.pk}-{contract.pk}.html"'
        response["Cache-Control"] = "private, no-store"
        return response
    return render(
        request,
        "deals/contract_page.html",
        {
            "deal": deal,
            "contract": contract,
            "verification": services.contract_verify(contract),
            "pdf_available": pdf_available(),
        },
    )


@login_required
@require_POST
def sign(request, pk: int):
    """Click-to-sign confirmed by the password, or (``method=code``) by the emailed one-time code."""
    deal = _deal_or_404(request, pk)
    sides = [(s, s) for s in dperms.signatory_sides(request.user, deal)]
    by_code = request.POST.get("method") == "code"
    form = CodeSignForm(request.POST, sides=sides) if by_code else SignForm(request.POST, sides=sides)
    if not form.is_valid():
        if by_code:
            messages.error(request, _("Vui lòng chọn bên ký và nhập mã xác thực 6 chữ số."))
        else:
            messages.error(request, _("Vui lòng chọn bên ký và nhập mật khẩu."))
        return redirect(deal)
    try:
        if by_code:
            services.deal_sign_with_code(
                actor=request.user, deal=deal, code=form.cleaned_data["code"], side=form.cleaned_data["side"]
            )
        else:
            services.deal_sign(
                actor=request.user,
                deal=deal,
                password=form.cleaned_data["password"],
                side=form.cleaned_data["side"],
            )
    except (ValidationError, TransitionNotAllowed) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã ký hợp đồng."))
    return redirect(f"{deal.get_absolute_url()}#contract")


@login_required
@require_POST
def signature_code(request, pk: int):
    """Email the signatory a one-time code to sign with."""
    deal = _deal_or_404(request, pk)
    form = SideForm(request.POST, sides=[(s, s) for s in dperms.signatory_sides(request.user, deal)])
    if not form.is_valid():
        messages.error(request, _("Vui lòng chọn bên ký."))
        return redirect(deal)
    try:
        services.deal_request_signature_code(actor=request.user, deal=deal, side=form.cleaned_data["side"])
    except (ValidationError, TransitionNotAllowed) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã gửi mã xác thực tới email của bạn. Mã có hiệu lực trong 10 phút."))
    return redirect(f"{deal.get_absolute_url()}#contract")


@login_required
@require_POST
def sign_certificate(request, pk: int):
    """Upload the frozen contract PDF signed with a digital certificate."""
    deal = _deal_or_404(request, pk)
    sides = [(s, s) for s in dperms.signatory_sides(request.user, deal)]
    form = CertificateSignForm(request.POST, request.FILES, sides=sides)
    if not form.is_valid():
        messages.error(request, _("Vui lòng chọn bên ký và tệp PDF đã ký số."))
        return redirect(deal)
    upload = form.cleaned_data["signed_pdf"]
    from .certsign import MAX_SIGNED_PDF_BYTES

    if upload.size > MAX_SIGNED_PDF_BYTES:
        messages.error(request, _("Tệp quá lớn."))
        return redirect(deal)
    try:
        services.deal_sign_certificate(
            actor=request.user, deal=deal, signed_pdf=upload.read(), side=form.cleaned_data["side"]
        )
    except (ValidationError, TransitionNotAllowed) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã nhận hợp đồng ký số; chữ ký hợp lệ."))
    return redirect(f"{deal.get_absolute_url()}#contract")


@login_required
@require_GET
def signature_pdf(request, pk: int, signature_pk: int):
    """The signed PDF a party uploaded, for the parties (and staff, broker) of the deal."""
    deal = _confidential_deal_or_403(request, pk)
    signature = get_object_or_404(Signature, pk=signature_pk, contract__deal=deal)
    if not signature.signed_pdf:
        raise Http404
    try:
        handle = signature.signed_pdf.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    filename = f"hop-dong-GD-{deal.pk}-{signature.contract_id}-ky-so.pdf"
    services.deal_file_record_view(
        actor=request.user, deal=deal, kind="signed_contract", ref=signature.pk, name=filename
    )
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def milestone_done(request, pk: int, milestone_pk: int):
    deal = _deal_or_404(request, pk)
    milestone = get_object_or_404(DealMilestone, pk=milestone_pk, deal=deal)
    try:
        services.deal_milestone_complete(actor=request.user, milestone=milestone)
    except (ValidationError, TransitionNotAllowed) as exc:
        _errors(request, exc)
    return redirect(deal)


@login_required
@require_GET
def message_attachment(request, pk: int):
    message = selectors.message_for_download(user=request.user, pk=pk)
    if message is None:
        raise Http404
    try:
        handle = message.attachment.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    services.deal_file_record_view(
        actor=request.user,
        deal=message.deal,
        kind="message_attachment",
        ref=message.pk,
        name=message.attachment_name,
    )
    response = FileResponse(handle, as_attachment=True, filename=message.attachment_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
