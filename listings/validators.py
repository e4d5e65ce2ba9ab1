"""Upload checks: size, extension and the file's real content (its first bytes), never the client's word.

Messages are Vietnamese (wrapped for translation) because the people uploading read them.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PDF = b"%PDF-"
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
# Below Pillow's own MAX_IMAGE_PIXELS (~89 Mpx): a small compressed file must not expand into gigabytes
# of RAM when decoded (decompression bomb). 40 Mpx is more than any listing photo needs.
IMAGE_MAX_PIXELS = 40_000_000
FILENAME_MAX_LENGTH = 200
# Characters that mean something to a file system or to a Content-Disposition header.
_FILENAME_UNSAFE = set('<>:"/\\|?*')


def safe_filename(name, *, default: str = "file", max_length: int = FILENAME_MAX_LENGTH) -> str:
    """The client's file name made safe to store and show: no folders (``../../etc/passwd.pdf`` becomes
    ``passwd.pdf``), no control or bidi-override characters, no leading dots, at most ``max_length``
    characters with the extension kept. Vietnamese letters stay readable (NFC, not ASCII-folded), since
    the name is shown back to the people who uploaded it."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if ch in _FILENAME_UNSAFE else ch for ch in name if not unicodedata.category(ch).startswith("C")
    )
    name = name.strip().lstrip(".").strip()
    if not name:
        return default
    stem, ext = os.path.splitext(name)
    ext = ext[:16]
    stem = stem[: max(1, max_length - len(ext))].rstrip() or default
    return stem + ext


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
    validate_content(file, ext)
    return ext


def validate_content(file, ext: str) -> None:
    """Check that the bytes really are a ``.ext`` file (magic prefix; for OOXML the zip's main part)."""
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
            _check_pixels(image)
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("Tệp không phải là ảnh hợp lệ."), code="content") from exc
    finally:
        file.seek(0)
    if fmt != IMAGE_EXTENSIONS[ext]:
        raise ValidationError(
            _("Nội dung ảnh (%(fmt)s) không khớp đuôi tệp .%(ext)s.") % {"fmt": fmt, "ext": ext},
            code="content",
        )
    return ext


def _check_pixels(image) -> None:
    """Refuse before decoding: the header's size is known after ``Image.open`` without reading pixels."""
    if image.width * image.height > IMAGE_MAX_PIXELS:
        raise ValidationError(
            _("Ảnh quá lớn (%(width)s×%(height)s điểm ảnh). Tối đa %(limit)s triệu điểm ảnh.")
            % {"width": image.width, "height": image.height, "limit": IMAGE_MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        )


def reencode_image(file) -> ContentFile:
    """Decode a (validated) image and save it again in the same format, returning the new file.

    Only the pixels survive: EXIF (GPS position, camera serial), comments, and anything appended after
    the image data (a ZIP or HTML payload making the file a polyglot) are dropped. The EXIF orientation
    is applied first so a photo does not come out rotated. Call ``validate_image`` before this.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    file.seek(0)
    try:
        with Image.open(file) as source:
            fmt = source.format
            _check_pixels(source)
            source.load()
            image = ImageOps.exif_transpose(source)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("Tệp không phải là ảnh hợp lệ."), code="content") from exc
    finally:
        file.seek(0)
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90, optimize=True)
    elif fmt == "WEBP":
        image.save(out, format="WEBP", quality=90)
    else:
        image.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name=safe_filename(getattr(file, "name", ""), default="image"))
