"""Token authentication for partners (replaced by the API work of issue #4)."""

from rest_framework.authentication import BaseAuthentication


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None
