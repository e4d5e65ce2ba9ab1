"""Template context shared by every page."""

from django.utils.functional import SimpleLazyObject

from .selectors import notification_unread_count


def notifications(request) -> dict:
    """``unread_notifications_count`` for the header badge.

    Lazy: the single COUNT query runs only if a template actually shows the number, and never for
    anonymous visitors.
    """
    user = getattr(request, "user", None)
    if user is None:
        return {"unread_notifications_count": 0}
    return {"unread_notifications_count": SimpleLazyObject(lambda: notification_unread_count(user=user))}
