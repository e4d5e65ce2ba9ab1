"""Listing views. The public pages come later; this serves files, checking permission on every request."""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from . import selectors, services


@require_GET
def attachment_download(request, pk: int):
    """Stream an attachment. Anyone not allowed gets 404, so a confidential file's existence stays hidden."""
    attachment = selectors.attachment_for_download(user=request.user, pk=pk)
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    services.listing_attachment_record_view(actor=request.user, attachment=attachment)
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    if attachment.confidential:
        response["Cache-Control"] = "private, no-store"
    else:
        response["Cache-Control"] = "public, max-age=3600"
    return response
