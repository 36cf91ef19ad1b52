"""Who may reach which staff pages. Views declare the roles they serve; anyone else signed in
gets a 404 (the page does not exist for them), anyone not signed in goes to the sign-in page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from kring.accounts.models import Role, User

View = TypeVar("View", bound=Callable[..., HttpResponse])


def staff_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user


def roles_required(*roles: Role) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = staff_user(request)
            if not roles or not set(roles) & set(user.roles):
                raise Http404
            return view(request, *args, **kwargs)

        return cast(View, login_required(wrapper))

    return decorator
