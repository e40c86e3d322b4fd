"""Hosted pages at the site root, at the paths the account emails link to (see ``pages.py``)."""

from django.urls import URLPattern, URLResolver, path

from apps.account.api import pages

urlpatterns: list[URLPattern | URLResolver] = [
    path("verify-email", pages.page_view(pages.VerifyEmailPage), name="page-verify-email"),
    path("verify-email/resend", pages.page_view(pages.ResendVerificationPage), name="page-verify-email-resend"),
    path("password/reset", pages.page_view(pages.PasswordResetPage), name="page-password-reset"),
    path("password/forgot", pages.page_view(pages.PasswordForgotPage), name="page-password-forgot"),
    path("email/confirm", pages.page_view(pages.EmailConfirmPage), name="page-email-confirm"),
    path("unlock", pages.page_view(pages.UnlockPage), name="page-unlock"),
]
