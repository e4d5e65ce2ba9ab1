"""Request ↔ offer matching, and brokers introducing the two sides.

For a technology request, the offers that could answer it (and for an offer, the requests it could
answer), ranked by a score out of 100 with the reasons shown to people:

- text similarity (up to ``W_TEXT``): the listing's key terms (keywords, then title words, minus filler
  syllables) go to the search service as one query, which returns full matches first and then partial
  ones (listings with at least half of the words); the score blends the search relevance (relative to
  the best hit) with the share of key terms the candidate contains;
- same field (``W_FIELD``; half for the same top-level field, e.g. 2.07 and 2.03);
- TRL (``W_TRL``): the offer's TRL within the request's wanted range (a third when one level off);
- transaction types (``W_TRANSACTION``): at least one in common;
- price and budget (``W_BUDGET``): the offer's price range overlaps the request's budget.

Candidates are the top ``CANDIDATES`` text hits plus the newest listings of the same top-level field
(so a need phrased in other words still meets the offers of its field); they are loaded in one query
with their joins and scored in Python, so the cost does not grow with the number of candidates' rows.
Listings of the same organisation are left out: nobody needs an introduction to themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipStatus, PlatformRole
from exchange.core.services import audit_record, notify

from . import display
from . import permissions as lperms
from .lifecycle import PUBLIC_STATES, NotPermitted, WrongState
from .models import Introduction, Listing, ListingKind, TransactionType
from .search import InvalidQuery, SearchQuery, search_listings
from .search.base import MAX_PAGE_SIZE
from .search.text import MAX_QUERY_TOKENS, fold, tokenize

W_TEXT, W_FIELD, W_TRL, W_TRANSACTION, W_BUDGET = 40, 20, 15, 15, 10
#: How many listings the search service is asked for (in pages of ``MAX_PAGE_SIZE``).
CANDIDATES = 200
#: Same-field listings added to the candidates, newest first.
FIELD_CANDIDATES = 100
#: Folded syllables that say nothing about what a listing is about (they are in nearly every title).
_STOP_TEXT = (
    "cong nghe ky thuat giai phap he thong san xuat ung dung nghien cuu phat trien quy trinh va cua cho "
    "bang trong voi cac nhung mot la de tu den tai theo ve nhu khi da duoc co the "
    "technology technologies system systems solution solutions method methods process application "
    "applications research development of and for the a an in on with by to from using based new"
)
STOPWORDS = frozenset(_STOP_TEXT.split())


# --- who sees what ----------------------------------------------------------------------------------
def is_broker(user) -> bool:
    """Brokers (platform role ``broker``) and exchange staff: they match needs with offers."""
    return perms.is_authenticated(user) and (perms.is_staff(user) or user.has_role(PlatformRole.BROKER))


def can_see_matches(user, listing: Listing) -> bool:
    """The listing's people (creator, co-authors, members - the TTO manager among them), brokers, staff."""
    return lperms.is_owner(user, listing) or is_broker(user)


def can_introduce(user) -> bool:
    return is_broker(user)


# --- scoring ----------------------------------------------------------------------------------------
@dataclass
class Match:
    listing: Listing
    score: int
    reasons: list[str] = field(default_factory=list)


def key_terms(listing: Listing, limit: int = MAX_QUERY_TOKENS) -> list[str]:
    """Up to ``limit`` folded words that say what the listing is about: keywords first, then the title."""
    keywords = listing.keywords if isinstance(listing.keywords, list) else []
    words = tokenize(" ".join(map(str, keywords))) + tokenize(f"{listing.title_vi} {listing.title_en}")
    terms: list[str] = []
    for word in words:
        if len(word) < 2 or word in STOPWORDS or word.isdigit() or word in terms:
            continue
        terms.append(word)
        if len(terms) >= limit:
            break
    return terms


def _candidate_tokens(listing: Listing) -> set[str]:
    keywords = listing.keywords if isinstance(listing.keywords, list) else []
    return set(
        tokenize(
            " ".join(
                [
                    listing.title_vi,
                    listing.title_en,
                    listing.summary_vi,
                    listing.summary_en,
                    *map(str, keywords),
                ]
            )
        )
    )


def _top_code(science_field) -> str:
    return science_field.parent.code if science_field.parent_id else science_field.code


def _field_name(science_field) -> str:
    english = (translation.get_language() or "vi")[:2] == "en"
    name = science_field.name_en if english and science_field.name_en else science_field.name
    return f"{science_field.code} {name}"


def _price_text(low, high) -> str:
    if low is not None and high is not None and low != high:
        return f"{display.format_vnd(low)} – {display.format_vnd(high)}"
    if low is None and high is None:
        return ""
    value = display.format_vnd(low if low is not None else high)
    if low is None:
        return _("đến %(price)s") % {"price": value}
    if high is None:
        return _("từ %(price)s") % {"price": value}
    return value


def _ranges_overlap(a_low, a_high, b_low, b_high) -> bool:
    """Closed ranges with open ends (None); a range with neither end is no range at all."""
    if (a_low is None and a_high is None) or (b_low is None and b_high is None):
        return False
    if a_low is not None and b_high is not None and a_low > b_high:
        return False
    return not (b_low is not None and a_high is not None and b_low > a_high)


def score_pair(
    *, offer: Listing, request: Listing, terms: list[str], relevance: float, source: Listing
) -> Match:
    """Score one (offer, request) pair; ``source`` is the listing matches are sought for, ``terms`` its
    key terms and ``relevance`` the search relevance of the other one (0..1, 1 = the best hit)."""
    other = request if source is offer else offer
    score = 0.0
    reasons: list[str] = []

    # Text.
    if terms:
        found = [t for t in terms if t in _candidate_tokens(other)]
        share = len(found) / len(terms)
        text = 0.5 * share + 0.5 * max(0.0, min(1.0, relevance))
        if found or relevance > 0:
            score += W_TEXT * text
        source_keywords = {fold(str(k)).strip() for k in (source.keywords or [])}
        common = [str(k) for k in (other.keywords or []) if fold(str(k)).strip() in source_keywords]
        if common:
            reasons.append(_("Từ khóa chung: %(keywords)s") % {"keywords": ", ".join(common[:5])})
        elif found:
            reasons.append(
                _("Nội dung tương đồng (%(count)s/%(total)s từ khóa chính: %(terms)s)")
                % {"count": len(found), "total": len(terms), "terms": ", ".join(found[:6])}
            )

    # Field.
    if offer.field_id == request.field_id:
        score += W_FIELD
        reasons.append(_("Cùng lĩnh vực %(field)s") % {"field": _field_name(offer.field)})
    elif _top_code(offer.field) == _top_code(request.field):
        score += W_FIELD / 2
        parent = offer.field.parent or offer.field
        reasons.append(_("Cùng nhóm lĩnh vực %(field)s") % {"field": _field_name(parent)})

    # TRL: the offer's level against the request's wanted range.
    low, high = request.trl_wanted_min, request.trl_wanted_max
    if offer.trl is not None and (low is not None or high is not None):
        lo, hi = low if low is not None else 1, high if high is not None else 9
        values = {"trl": offer.trl, "low": lo, "high": hi}
        if lo <= offer.trl <= hi:
            score += W_TRL
            reasons.append(_("TRL %(trl)s nằm trong khoảng mong muốn %(low)s–%(high)s") % values)
        elif lo - 1 <= offer.trl <= hi + 1:
            score += W_TRL / 3
            reasons.append(_("TRL %(trl)s gần khoảng mong muốn %(low)s–%(high)s") % values)

    # Transaction types.
    labels = dict(TransactionType.choices)
    wanted = request.transaction_types or []
    common_types = [t for t in (offer.transaction_types or []) if t in wanted]
    if common_types:
        score += W_TRANSACTION
        reasons.append(
            _("Hình thức giao dịch phù hợp: %(types)s")
            % {"types": ", ".join(str(labels.get(t, t)) for t in common_types)}
        )

    # Price against budget.
    if _ranges_overlap(offer.price_min, offer.price_max, request.price_min, request.price_max):
        score += W_BUDGET
        reasons.append(
            _("Giá %(price)s phù hợp ngân sách %(budget)s")
            % {
                "price": _price_text(offer.price_min, offer.price_max),
                "budget": _price_text(request.price_min, request.price_max),
            }
        )
    return Match(listing=other, score=round(score), reasons=reasons)


def _candidates(listing: Listing, terms: list[str], other_kind: str) -> dict[int, float]:
    """listing id → relative search relevance (0..1) of the candidates; same-field ones get 0."""
    relevance: dict[int, float] = {}
    language = (translation.get_language() or "vi")[:2]
    if terms:
        best = 0.0
        pages = -(-CANDIDATES // MAX_PAGE_SIZE)
        for page in range(1, pages + 1):
            try:
                result = search_listings(
                    SearchQuery(
                        q=" ".join(terms),
                        kind=other_kind,
                        sort="relevance",
                        page=page,
                        page_size=MAX_PAGE_SIZE,
                        language=language,
                    )
                )
            except InvalidQuery:
                break
            for hit in result.hits:
                best = max(best, hit.score)
                relevance.setdefault(hit.listing_id, hit.score)
            if page * MAX_PAGE_SIZE >= result.total:
                break
        relevance = {pk: (s / best if best > 0 else 0.5) for pk, s in relevance.items()}
    same_field = search_listings(
        SearchQuery(
            kind=other_kind,
            field=_top_code(listing.field),
            sort="newest",
            page_size=min(FIELD_CANDIDATES, MAX_PAGE_SIZE),
            language=language,
        )
    )
    for pk in same_field.ids:
        relevance.setdefault(pk, 0.0)
    relevance.pop(listing.pk, None)
    return relevance


def matches_for(listing: Listing, *, limit: int = 20) -> list[Match]:
    """The best matches of the other kind for ``listing``, highest score first (ties: newest first).

    Runs at most three searches and one query whatever the number of candidates."""
    other_kind = ListingKind.OFFER if listing.kind == ListingKind.REQUEST else ListingKind.REQUEST
    terms = key_terms(listing)
    relevance = _candidates(listing, terms, other_kind)
    if not relevance:
        return []
    rows = (
        Listing.objects.filter(pk__in=list(relevance), state__in=PUBLIC_STATES, kind=other_kind)
        .exclude(organization_id=listing.organization_id)
        .select_related("field", "field__parent", "organization", "province")
    )
    matches = []
    for other in rows:
        offer, request = (listing, other) if listing.kind == ListingKind.OFFER else (other, listing)
        match = score_pair(
            offer=offer, request=request, terms=terms, relevance=relevance[other.pk], source=listing
        )
        if match.score > 0:
            matches.append(match)
    matches.sort(
        key=lambda m: (-m.score, -(m.listing.published_at.timestamp() if m.listing.published_at else 0))
    )
    return matches[:limit]


# --- introductions ------------------------------------------------------------------------------------
def _members(organization_id: int, *, exclude=None) -> list:
    users = get_user_model().objects.filter(
        is_active=True,
        memberships__organization_id=organization_id,
        memberships__status=MembershipStatus.ACTIVE,
    )
    if exclude is not None and getattr(exclude, "pk", None):
        users = users.exclude(pk=exclude.pk)
    return list(users.distinct())


def introduction_create(*, actor, offer: Listing, request: Listing, note: str = "") -> Introduction:
    """A broker (or staff) introduces the request's organisation to the offer's organisation.

    Both listings must be published and of the right kinds, from two different organisations; each
    pair is introduced once. Both organisations' active members are told, each with a link to the other
    side's listing, where the deal room's inquiry starts.
    """
    if not can_introduce(actor):
        raise NotPermitted(
            _("Chỉ nhà môi giới hoặc nhân viên sàn mới có thể giới thiệu đối tác."), action="introduce"
        )
    note = (note or "").strip()
    with transaction.atomic():
        pair = {
            listing.pk: listing
            for listing in Listing.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk__in=[offer.pk, request.pk])
        }
        offer, request = pair.get(offer.pk), pair.get(request.pk)
        if offer is None or request is None:
            raise ValidationError(_("Không tìm thấy tin."))
        if offer.kind != ListingKind.OFFER or request.kind != ListingKind.REQUEST:
            raise ValidationError(_("Cần một công nghệ chào bán và một nhu cầu công nghệ."), code="kinds")
        if offer.state not in PUBLIC_STATES or request.state not in PUBLIC_STATES:
            raise WrongState(
                _("Chỉ giới thiệu được các tin đang đăng."), action="introduce", state=offer.state
            )
        if offer.organization_id == request.organization_id:
            raise ValidationError(_("Hai tin thuộc cùng một tổ chức."), code="same_organization")
        if len(note) > 2000:
            raise ValidationError({"note": _("Ghi chú tối đa 2000 ký tự.")})
        try:
            with transaction.atomic():
                introduction = Introduction.objects.create(
                    broker=actor, offer=offer, request=request, note=note
                )
        except IntegrityError as exc:
            raise ValidationError(_("Hai bên này đã được giới thiệu với nhau."), code="duplicate") from exc
        audit_record(
            actor=actor,
            action="introduction.create",
            target=introduction,
            after={"offer": offer.pk, "request": request.pk},
            data={"note": note},
        )
        hidden = _("Tổ chức ẩn danh")
        base = {
            "broker": str(actor),
            "offer": offer.title or offer.ref,
            "request": request.title or request.ref,
            "note": note or "—",
        }
        for user in _members(request.organization_id, exclude=actor):
            with translation.override(user.language or "vi"):
                url = offer.get_absolute_url()
            context = {**base, "organization": offer.organization.name, "listing": base["offer"]}
            notify(recipient=user, kind="listing_introduced", context=context, url=url, target=introduction)
        for user in _members(offer.organization_id, exclude=actor):
            with translation.override(user.language or "vi"):
                url = request.get_absolute_url()
            org = str(hidden) if request.anonymous else request.organization.name
            context = {**base, "organization": org, "listing": base["request"]}
            notify(recipient=user, kind="listing_introduced", context=context, url=url, target=introduction)
    return introduction


def introductions_for_user(user) -> QuerySet[Introduction]:
    """Introductions that concern the user's organisations or that they made; staff see them all."""
    qs = Introduction.objects.select_related(
        "broker", "offer", "offer__organization", "request", "request__organization"
    )
    if not perms.is_authenticated(user):
        return qs.none()
    if perms.is_staff(user):
        return qs
    org_ids = list(
        user.memberships.filter(status=MembershipStatus.ACTIVE).values_list("organization_id", flat=True)
    )
    return qs.filter(
        Q(broker=user) | Q(offer__organization_id__in=org_ids) | Q(request__organization_id__in=org_ids)
    )


def introduced_pairs(listing: Listing, other_ids) -> set[int]:
    """Of ``other_ids``, those already introduced to ``listing`` (one query)."""
    if listing.kind == ListingKind.OFFER:
        rows = Introduction.objects.filter(offer=listing, request_id__in=other_ids).values_list(
            "request_id", flat=True
        )
    else:
        rows = Introduction.objects.filter(request=listing, offer_id__in=other_ids).values_list(
            "offer_id", flat=True
        )
    return set(rows)
