"""People: admins manage accounts; everyone changes their own password."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from portal.accounts.actions import (
    change_own_password,
    create_user,
    delete_user,
    set_password,
    update_user,
)
from portal.accounts.models import User
from portal.audit.actions import Actor
from portal.web.forms import (
    NewPasswordForm,
    OwnPasswordForm,
    UserCreateForm,
    UserEditForm,
)
from portal.web.pages import redirect_after_change, render_page
from portal.web.rules import rule

FORM_TEMPLATE = "web/users/form.html"


@rule("admin")
def user_list(request: HttpRequest) -> HttpResponse:
    people = User.objects.prefetch_related("sites").order_by("-is_active", "email")
    return render_page(request, "web/users/list.html", {"people": people})


@rule("admin")
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _saved(form, _creator(request)):
        messages.success(request, f"{form.cleaned_data['email']} can now sign in.")
        return redirect_after_change(request, "users")
    return _form_page(request, form, "Add a person", "Add")


@rule("admin")
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    initial = {
        "is_active": person.is_active,
        "is_admin": person.is_staff,
        "limited_to_sites": person.limited_to_sites,
        "sites": person.sites.all(),
    }
    form = UserEditForm(request.POST or None, initial=initial)

    def update(data: dict[str, Any]) -> None:
        update_user(person, by=Actor.of(request), **data)

    if request.method == "POST" and form.is_valid() and _saved(form, update):
        messages.success(request, f"{person.email} saved.")
        return redirect_after_change(request, "users")
    return _form_page(request, form, f"Edit {person.email}", "Save")


@rule("admin")
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = NewPasswordForm(request.POST or None)

    def reset(data: dict[str, Any]) -> None:
        set_password(person, data["password"], by=Actor.of(request))

    if request.method == "POST" and form.is_valid() and _saved(form, reset):
        messages.success(request, f"{person.email} has a new password.")
        return redirect_after_change(request, "users")
    return _form_page(request, form, f"New password for {person.email}", "Set password")


@rule("admin")
@require_POST
def user_delete(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    try:
        delete_user(person, by=Actor.of(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{person.email} deleted.")
    return redirect_after_change(request, "users")


@rule("user")
def password_change(request: HttpRequest) -> HttpResponse:
    form = OwnPasswordForm(request.POST or None)
    user = request.user
    by = Actor.of(request)

    def change(data: dict[str, Any]) -> None:
        change_own_password(user, data["current"], data["password"], by=by)  # type: ignore[arg-type]

    if request.method == "POST" and form.is_valid() and _saved(form, change):
        update_session_auth_hash(request, user)  # type: ignore[arg-type]  # stay signed in
        messages.success(request, "Your password is changed.")
        return redirect_after_change(request, "dashboard")
    return _form_page(request, form, "Change your password", "Change password")


def _creator(request: HttpRequest) -> Any:
    def create(data: dict[str, Any]) -> User:
        return create_user(**data, by=Actor.of(request))

    return create


def _saved(form: Any, action: Any) -> bool:
    """Run the action with the form's data; put what it refuses on the form."""
    try:
        action(form.cleaned_data)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, problems in error.error_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            form.add_error("password" if "password" in form.fields else None, error)
        return False
    return True


def _form_page(
    request: HttpRequest, form: Any, title: str, submit: str
) -> HttpResponse:
    context = {"form": form, "title": title, "submit": submit}
    return render_page(
        request, FORM_TEMPLATE, context, status=400 if form.errors else 200
    )
