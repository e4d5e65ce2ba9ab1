"""The signed-in user's notifications and email preference. Thin: parse, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import NotificationPreferenceForm
from .selectors import notification_email_frequency, notification_list_for_user
from .services import notification_mark_all_read, notification_mark_read, notification_preference_set

PER_PAGE = 20


def _safe_redirect(request, *candidates: str):
    """Redirect to the first candidate that stays on this site, else to the notification list."""
    for target in candidates:
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
    return redirect("notifications:list")


@login_required
@require_GET
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    queryset = notification_list_for_user(user=request.user, unread_only=unread_only)
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications/list.html",
        {"page_obj": page, "notifications": page.object_list, "unread_only": unread_only},
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    # Looked up among the user's own rows only: someone else's id is a 404, never a 403 that confirms it.
    notification = get_object_or_404(notification_list_for_user(user=request.user), pk=pk)
    notification_mark_read(user=request.user, notification=notification)
    return _safe_redirect(request, request.POST.get("next", ""), notification.url)


@login_required
@require_POST
def notification_read_all(request):
    count = notification_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("Đã đánh dấu %(count)s thông báo là đã đọc.") % {"count": count})
    return _safe_redirect(request, request.POST.get("next", ""))


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    initial = {"email_frequency": notification_email_frequency(user_id=request.user.pk)}
    form = NotificationPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notification_preference_set(
                user=request.user, email_frequency=form.cleaned_data["email_frequency"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Đã lưu tùy chọn thông báo."))
            return redirect("notifications:preferences")
    return render(request, "core/notifications/preferences.html", {"form": form})
