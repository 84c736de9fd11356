"""Signing in and out, with Django's own views."""

from django.contrib.auth import views as auth_views

from portal.web.rules import rule

login = rule("anonymous")(
    auth_views.LoginView.as_view(
        template_name="registration/login.html", redirect_authenticated_user=True
    )
)

# Sign-out is a POST (Django refuses GET), so a link cannot sign anyone out.
logout = rule("anonymous")(auth_views.LogoutView.as_view())
