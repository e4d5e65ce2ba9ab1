"""Payment references people can type into a bank transfer note: ``TX`` + 6 Crockford base-32 characters
+ 1 check character (no I, L, O, U; so no 0/O or 1/I confusion). Banks often uppercase, strip or space
the note, so ``find_references`` searches the squeezed text and keeps only candidates whose check
character is right."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "TX"
BODY = 6
_CANDIDATE = re.compile(rf"{PREFIX}[{ALPHABET}]{{{BODY + 1}}}")


def check_char(body: str) -> str:
    """A weighted mod-32 checksum: catches any single wrong character and adjacent swaps."""
    total = sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    return ALPHABET[total % 31]


def new_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return f"{PREFIX}{body}{check_char(body)}"


def is_valid(reference: str) -> bool:
    reference = reference.upper()
    if not _CANDIDATE.fullmatch(reference):
        return False
    body = reference[len(PREFIX) : -1]
    return check_char(body) == reference[-1]


def find_references(text: str) -> list[str]:
    """Valid references in a transfer description, in order, without repeats."""
    upper = (text or "").upper()
    squeezed = re.sub(r"[^0-9A-Z]", "", upper)
    found: list[str] = []
    for source in (upper, squeezed):
        for start in range(len(source)):
            if source.startswith(PREFIX, start):
                candidate = source[start : start + len(PREFIX) + BODY + 1]
                if is_valid(candidate) and candidate not in found:
                    found.append(candidate)
    return found


# --- support-service quotes ---------------------------------------------------------------------------
#: A support quote's own reference, as ``support.services.service_quote_payable`` names it:
#: ``DV-<request id>-v<version>``; banks may drop or change the separators and uppercase it.
_QUOTE = re.compile(r"(?<![0-9A-Z])DV[\s\-_.]*(\d{1,9})[\s\-_.]*V[\s\-_.]*(\d{1,4})(?![0-9])")


def quote_reference(request_id: int, version: int) -> str:
    return f"DV-{request_id}-v{version}"


def find_quote_references(text: str) -> list[tuple[int, int]]:
    """``(request id, quote version)`` of each support quote reference in a transfer description."""
    found: list[tuple[int, int]] = []
    for match in _QUOTE.finditer((text or "").upper()):
        key = (int(match.group(1)), int(match.group(2)))
        if key not in found:
            found.append(key)
    return found
