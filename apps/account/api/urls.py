"""Routes under /api/v2/account/."""

from django.urls import URLPattern, URLResolver, path

from apps.account.api import views

app_name = "account"
urlpatterns: list[URLPattern | URLResolver] = [
    path("register", views.RegisterApi.as_view(), name="register"),
    path("verify-email", views.VerifyEmailApi.as_view(), name="verify-email"),
    path("verify-email/resend", views.VerifyEmailResendApi.as_view(), name="verify-email-resend"),
    path("login", views.LoginApi.as_view(), name="login"),
    path("login/mfa", views.LoginMfaApi.as_view(), name="login-mfa"),
    path("unlock", views.UnlockApi.as_view(), name="unlock"),
    path("token/refresh", views.CookieRefreshApi.as_view(), name="cookie-refresh"),
    path("me", views.me_view, name="me"),
    path("me/avatar", views.MeAvatarApi.as_view(), name="me-avatar"),
    path("me/export", views.MeExportApi.as_view(), name="me-export"),
    path("password/change", views.PasswordChangeApi.as_view(), name="password-change"),
    path("password/forgot", views.PasswordForgotApi.as_view(), name="password-forgot"),
    path("password/reset", views.PasswordResetApi.as_view(), name="password-reset"),
    path("email/change", views.EmailChangeApi.as_view(), name="email-change"),
    path("email/change/confirm", views.EmailChangeConfirmApi.as_view(), name="email-change-confirm"),
    path("sessions", views.SessionListApi.as_view(), name="sessions"),
    path("sessions/<uuid:session_id>", views.SessionDeleteApi.as_view(), name="session-delete"),
    path("logout", views.LogoutApi.as_view(), name="logout"),
    path("logout-all", views.LogoutAllApi.as_view(), name="logout-all"),
    path("mfa/totp/setup", views.MfaTotpSetupApi.as_view(), name="mfa-totp-setup"),
    path("mfa/totp/enable", views.MfaTotpEnableApi.as_view(), name="mfa-totp-enable"),
    path("mfa/totp/disable", views.MfaTotpDisableApi.as_view(), name="mfa-totp-disable"),
    path("oauth/google/login", views.GoogleLoginApi.as_view(), name="oauth-google-login"),
    path("oauth/google/callback", views.GoogleCallbackApi.as_view(), name="oauth-google-callback"),
    path("oauth/google/token", views.GoogleTokenApi.as_view(), name="oauth-google-token"),
]
