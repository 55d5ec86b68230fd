from django.http import HttpRequest

from opora.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """What views behind LoginRequiredMiddleware receive: request.user is a real User."""

    user: User
