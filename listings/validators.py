"""Upload checks: size, extension and the file's real content (its first bytes), never the client's word.

Messages are Vietnamese (wrapped for translation) because the people uploading read them.
"""

from __future__ import annotations

import io
import os
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PDF = b"%PDF"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
ZIP = b"PK\x03\x04"

# extension -> (magic prefix, for OOXML the member the zip must contain)
ATTACHMENT_TYPES: dict[str, tuple[bytes, str | None]] = {
    "pdf": (PDF, None),
    "png": (PNG, None),
    "jpg": (JPEG, None),
    "jpeg": (JPEG, None),
    "docx": (ZIP, "word/document.xml"),
    "xlsx": (ZIP, "xl/workbook.xml"),
    "pptx": (ZIP, "ppt/presentation.xml"),
}
IMAGE_EXTENSIONS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}
IMAGE_MAX_BYTES = 5 * 1024 * 1024


def _extension(name: str) -> str:
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def _head(file, n: int = 8) -> bytes:
    pos = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(n)
    file.seek(pos)
    return head


def _check_size(file, limit: int) -> None:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(0)
    if size == 0:
        raise ValidationError(_("Tệp rỗng."), code="empty")
    if size > limit:
        raise ValidationError(
            _("Tệp quá lớn (%(size)s). Dung lượng tối đa là %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )


def validate_attachment(file) -> str:
    """Check a document upload; returns its (lower-case) extension."""
    _check_size(file, settings.LISTING_ATTACHMENT_MAX_BYTES)
    ext = _extension(getattr(file, "name", ""))
    if ext not in ATTACHMENT_TYPES:
        raise ValidationError(
            _("Định dạng tệp “.%(ext)s” không được phép. Chỉ nhận: %(allowed)s.")
            % {"ext": ext or "?", "allowed": ", ".join(sorted(ATTACHMENT_TYPES))},
            code="extension",
        )
    magic, member = ATTACHMENT_TYPES[ext]
    if not _head(file, len(magic)).startswith(magic):
        raise ValidationError(
            _("Nội dung tệp không đúng định dạng .%(ext)s (tệp có thể bị đổi đuôi).") % {"ext": ext},
            code="content",
        )
    if member:
        file.seek(0)
        try:
            with zipfile.ZipFile(io.BytesIO(file.read())) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        finally:
            file.seek(0)
        if member not in names:
            raise ValidationError(
                _("Nội dung tệp không đúng định dạng .%(ext)s (tệp có thể bị đổi đuôi).") % {"ext": ext},
                code="content",
            )
    return ext


def validate_image(file) -> str:
    """Check an image upload with Pillow; returns its extension."""
    from PIL import Image, UnidentifiedImageError

    _check_size(file, min(IMAGE_MAX_BYTES, settings.LISTING_ATTACHMENT_MAX_BYTES))
    ext = _extension(getattr(file, "name", ""))
    if ext not in IMAGE_EXTENSIONS:
        raise ValidationError(
            _("Ảnh phải có định dạng: %(allowed)s.") % {"allowed": ", ".join(sorted(IMAGE_EXTENSIONS))},
            code="extension",
        )
    file.seek(0)
    try:
        with Image.open(file) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("Tệp không phải là ảnh hợp lệ."), code="content") from exc
    finally:
        file.seek(0)
    if fmt != IMAGE_EXTENSIONS[ext]:
        raise ValidationError(
            _("Nội dung ảnh (%(fmt)s) không khớp đuôi tệp .%(ext)s.") % {"fmt": fmt, "ext": ext},
            code="content",
        )
    return ext
