"""Account API views: thin, one per operation, calling this app's flows and selectors."""

from __future__ import annotations

import hmac
import secrets
import uuid
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.account import flows, me_cache, mfa, oidc, profile, selectors
from apps.account.api import serializers as s
from apps.account.api.permissions import IsPrincipal, IsSession, principal
from apps.account.models import User
from apps.account.services.errors import CsrfFailedError, OAuthFailedError
from apps.authz.services import TokenPairData, authz_service, bearer_principal
from gau.api.errors import error_body
from gau.api.negotiation import OBVIOUS_JSON_ACCEPT
from gau.api.renderers import dumps
from gau.api.schema import errors
from gau.rpc import ConflictError, UnauthenticatedError

REFRESH_COOKIE_PATH = "/api/v2/account/"


def client_ip(request: Request) -> str:
    """The peer address (a trusted proxy in front sets REMOTE_ADDR through the WSGI server)."""
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104  # not a bind address


def user_agent(request: Request) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:512]


def device_id(request: Request) -> str | None:
    value = request.headers.get("X-Device-ID", "").strip()
    return value[:128] or None


def current_user(request: Request) -> User:
    """The active user behind the principal (a deleted or deactivated one is not signed in)."""
    user = selectors.user_get_profile(user_id=principal(request).user_id)
    if user is None or not user.is_active:
        raise UnauthenticatedError()
    return user


def token_response(pair: TokenPairData, *, cookie: bool, status_code: int = 200) -> Response:
    """The token pair in the body, or, in cookie mode, the refresh token in an HttpOnly cookie."""
    body: dict[str, Any] = {
        "access_token": pair.access_token,
        "token_type": pair.token_type,
        "expires_in": pair.expires_in,
    }
    if not cookie:
        body["refresh_token"] = pair.refresh_token
        return Response(body, status=status_code)
    csrf = secrets.token_urlsafe(32)
    body["csrf_token"] = csrf
    response = Response(body, status=status_code)
    common: dict[str, Any] = {
        "secure": settings.ACCOUNT_COOKIE_SECURE,
        "samesite": settings.ACCOUNT_COOKIE_SAMESITE,
        "max_age": 60 * 60 * 24 * 30,
    }
    response.set_cookie(
        settings.ACCOUNT_REFRESH_COOKIE, pair.refresh_token, httponly=True, path=REFRESH_COOKIE_PATH, **common
    )
    # Double-submit CSRF token: readable by the page's script, which echoes it in X-CSRF-Token.
    # A web app on a sibling subdomain reads it when ACCOUNT_COOKIE_DOMAIN names the parent domain; any
    # client may instead keep the csrf_token of this body in memory.
    response.set_cookie(
        settings.ACCOUNT_CSRF_COOKIE, csrf, httponly=False, path="/", domain=settings.ACCOUNT_COOKIE_DOMAIN, **common
    )
    return response


def check_csrf(request: Request) -> None:
    """Cookie-authenticated endpoints: the X-CSRF-Token header must equal the CSRF cookie."""
    cookie = request.COOKIES.get(settings.ACCOUNT_CSRF_COOKIE, "")
    header = request.headers.get("X-CSRF-Token", "")
    if not cookie or not header or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise CsrfFailedError()


def clear_cookies(response: Response) -> None:
    response.delete_cookie(settings.ACCOUNT_REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    response.delete_cookie(settings.ACCOUNT_CSRF_COOKIE, path="/", domain=settings.ACCOUNT_COOKIE_DOMAIN)


class PublicApi(APIView):
    """Endpoints anyone may call (no credentials read)."""

    authentication_classes = []
    permission_classes = []


# --- registration and verification ----------------------------------------------------------


class RegisterApi(PublicApi):
    @extend_schema(
        summary="Create an account",
        description="Same answer whether or not the address is taken (the owner of a taken address gets an "
        "email instead). A verification link is emailed; it expires after 10 minutes.",
        request=s.RegisterIn,
        responses={201: s.RegisterOut, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = s.RegisterIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = flows.register(**data.validated_data)
        return Response(s.RegisterOut(result).data, status=status.HTTP_201_CREATED)


class VerifyEmailApi(PublicApi):
    @extend_schema(
        summary="Verify the email address",
        request=s.TokenIn,
        responses={200: s.MeOut, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = s.TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = flows.verify_email(token=data.validated_data["token"])
        return Response(s.MeOut(profile.me_data(user)).data)


class VerifyEmailResendApi(PublicApi):
    @extend_schema(
        summary="Send the verification email again",
        description="202 whether or not the address has an account; at most once per 60 s per address.",
        request=s.EmailIn,
        responses={202: s.DetailOut, **errors(400, 429)},
    )
    def post(self, request: Request) -> Response:
        data = s.EmailIn(data=request.data)
        data.is_valid(raise_exception=True)
        flows.resend_verification(email=data.validated_data["email"])
        return Response({"detail": "If the address needs verifying, an email is on its way."}, status=202)


# --- sign-in ---------------------------------------------------------------------------------


class LoginApi(PublicApi):
    @extend_schema(
        summary="Sign in with a password",
        description="`email` also accepts the username or the E.164 phone number. Optional header "
        "`X-Device-ID` names the device (a new sign-in replaces that device's session). With MFA on, "
        "the answer is `{mfa_required: true, mfa_token}`; complete with `login/mfa`.",
        parameters=[OpenApiParameter("X-Device-ID", str, OpenApiParameter.HEADER, required=False)],
        request=s.LoginIn,
        responses={200: s.LoginOut, **errors(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        data = s.LoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = flows.login(
            identifier=v["email"],
            password=v["password"],
            ip=client_ip(request),
            user_agent=user_agent(request),
            device_id=device_id(request),
        )
        if result.tokens is None:
            return Response({"mfa_required": True, "mfa_token": result.mfa_token})
        return token_response(result.tokens, cookie=v["cookie"])


class LoginMfaApi(PublicApi):
    @extend_schema(
        summary="Complete a sign-in with a TOTP or recovery code",
        request=s.LoginMfaIn,
        responses={200: s.TokenPairOut, **errors(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        data = s.LoginMfaIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        pair = flows.login_mfa(mfa_token=v["mfa_token"], code=v["code"], ip=client_ip(request))
        return token_response(pair, cookie=v["cookie"])


class UnlockApi(PublicApi):
    @extend_schema(
        summary="Lift the sign-in throttle with the emailed unlock token",
        request=s.TokenIn,
        responses={200: s.DetailOut, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = s.TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        flows.unlock(token=data.validated_data["token"])
        return Response({"detail": "Sign-in is unlocked."})


class CookieRefreshApi(PublicApi):
    @extend_schema(
        summary="Cookie mode: rotate the refresh token held in the cookie",
        description="Reads the HttpOnly refresh cookie; needs the `X-CSRF-Token` header equal to the "
        "`gau_csrf` cookie. Bearer clients use `POST /api/v2/authz/token/refresh` instead.",
        request=None,
        responses={200: s.TokenPairOut, **errors(401, 403)},
    )
    def post(self, request: Request) -> Response:
        check_csrf(request)
        refresh = request.COOKIES.get(settings.ACCOUNT_REFRESH_COOKIE, "")
        if not refresh:
            raise UnauthenticatedError("No refresh cookie.")
        try:
            pair = authz_service.refresh_tokens(refresh_token=refresh)
        except UnauthenticatedError as exc:
            response = Response(error_body(401, exc.code, exc.message), status=401)
            clear_cookies(response)
            return response
        return token_response(pair, cookie=True)


# --- profile ---------------------------------------------------------------------------------


class MeApi(APIView):
    permission_classes = [IsPrincipal]

    def get_permissions(self) -> list[Any]:
        if self.request.method == "DELETE":
            return [IsSession()]
        return [IsPrincipal()]

    @extend_schema(summary="My profile", responses={200: s.MeOut, **errors(401, 403)})
    def get(self, request: Request) -> Response:
        # The cache is read first (its version before the database read, see me_cache); a cache outage
        # raises here and answers the typed 503 (fail closed, like the revocation check).
        user_id = principal(request).user_id
        version, body = me_cache.lookup(user_id)
        if body is not None:
            return Response(orjson.loads(body))
        user = current_user(request)
        # me_data is already plain JSON types for the orjson renderer; MeOut documents the shape.
        data = profile.me_data(user)
        me_cache.store(user_id, version, dumps(data), user.avatar_file_id, data["avatar_url"])
        return Response(data)

    @extend_schema(
        summary="Update my profile",
        request=s.MePatchIn,
        responses={200: s.MeOut, **errors(401, 403, 409)},
    )
    def patch(self, request: Request) -> Response:
        data = s.MePatchIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = current_user(request)
        for field, value in data.validated_data.items():
            setattr(user, field, value)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ConflictError("That username or phone number is already in use.") from None
        return Response(s.MeOut(profile.me_data(user)).data)

    @extend_schema(
        summary="Delete my account",
        description="Deactivates and anonymises the account and, in the same transaction, records that "
        "every other app must delete what it holds for the user. 204 means the deletion is durably "
        "recorded: sessions end and the other apps' data goes right away, and if an app is unavailable "
        "its part is retried in the background until it succeeds.",
        responses={204: None, **errors(401, 403)},
    )
    def delete(self, request: Request) -> Response:
        profile.delete_account(user=current_user(request))
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_cookies(response)
        return response


_me_api = MeApi.as_view()


#: The response headers DRF adds to ``GET me`` (the fast path answers the same).
def _allowed(view_class: type[APIView]) -> str:
    view = view_class()
    view.setup(HttpRequest())  # as as_view does (adds HEAD where there is a GET)
    return ", ".join(view.allowed_methods)


_ME_ALLOW = _allowed(MeApi)


def me_view(request: HttpRequest) -> HttpResponse:
    """``/me``: a cached ``GET`` answered without DRF, everything else by :class:`MeApi`.

    The fast path takes only the plain case: a bearer access token (no API key), nothing in the query
    string, an ``Accept`` that DRF would answer with JSON, and a current entry in the me cache. Anything
    else, including every error (a bad or revoked token, the cache down), goes to the DRF view, which
    answers it in the one error shape and fills the cache on a miss. Same body bytes as DRF's response.
    """
    if (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and "HTTP_X_API_KEY" not in request.META
        and request.META.get("HTTP_ACCEPT", "").strip() in OBVIOUS_JSON_ACCEPT
    ):
        try:
            found = bearer_principal(request.META.get("HTTP_AUTHORIZATION", ""))
            body = me_cache.lookup(found.user_id)[1] if found is not None and found.kind == "user" else None
        except Exception:  # the DRF view answers every failure in the error shape
            body = None
        if body is not None:
            response = HttpResponse(body, content_type="application/json")
            response["Allow"] = _ME_ALLOW
            return response
    return _me_api(request)


me_view.csrf_exempt = True  # type: ignore[attr-defined]  # as DRF's as_view (bearer tokens, no cookies)
# drf-spectacular and the URL checks see the DRF view behind it.
me_view.cls = MeApi  # type: ignore[attr-defined]
me_view.view_class = MeApi  # type: ignore[attr-defined]
me_view.initkwargs = {}  # type: ignore[attr-defined]


class MeAvatarApi(APIView):
    permission_classes = [IsPrincipal]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload my avatar",
        request={"multipart/form-data": s.AvatarIn},
        responses={200: s.AvatarOut, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = s.AvatarIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        url = profile.set_avatar(user=current_user(request), filename=upload.name, data=upload.read())
        return Response({"avatar_url": url})


class MeExportApi(APIView):
    permission_classes = [IsPrincipal]

    @extend_schema(
        summary="Export my data",
        description="A JSON document of everything Gau holds for me, gathered from each app's interface.",
        responses={200: OpenApiResponse(description="The export (free-form JSON object)."), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(profile.export(user=current_user(request)))


# --- passwords and email -----------------------------------------------------------------------


class PasswordChangeApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(
        summary="Change my password (ends my other sessions)",
        request=s.PasswordChangeIn,
        responses={200: s.CountOut, **errors(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        ended = flows.change_password(
            user=current_user(request),
            current_password=data.validated_data["current_password"],
            new_password=data.validated_data["new_password"],
            session_id=principal(request).session_id,
            ip=client_ip(request),
        )
        return Response({"revoked": ended})


class PasswordForgotApi(PublicApi):
    @extend_schema(
        summary="Email a password reset link",
        description="Always 202: the answer does not say whether the address has an account.",
        request=s.EmailIn,
        responses={202: s.DetailOut, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = s.EmailIn(data=request.data)
        data.is_valid(raise_exception=True)
        flows.forgot_password(email=data.validated_data["email"])
        return Response({"detail": "If the address has an account, a reset link is on its way."}, status=202)


class PasswordResetApi(PublicApi):
    @extend_schema(
        summary="Set a new password with the emailed token (ends every session)",
        request=s.PasswordResetIn,
        responses={200: s.DetailOut, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordResetIn(data=request.data)
        data.is_valid(raise_exception=True)
        flows.reset_password(token=data.validated_data["token"], new_password=data.validated_data["new_password"])
        return Response({"detail": "Your password was changed; sign in again."})


class EmailChangeApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(
        summary="Change my email address",
        description="Emails a confirmation link to the new address and a notice to the current one; the "
        "address changes when the link is used (`email/change/confirm`).",
        request=s.EmailChangeIn,
        responses={202: s.DetailOut, **errors(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        data = s.EmailChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        flows.request_email_change(
            user=current_user(request),
            new_email=data.validated_data["new_email"],
            password=data.validated_data["password"],
            ip=client_ip(request),
        )
        return Response({"detail": "Check the new address for a confirmation link."}, status=202)


class EmailChangeConfirmApi(PublicApi):
    @extend_schema(
        summary="Confirm an email change with the emailed token",
        request=s.TokenIn,
        responses={200: s.MeOut, **errors(400, 409)},
    )
    def post(self, request: Request) -> Response:
        data = s.TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = flows.confirm_email_change(token=data.validated_data["token"])
        return Response(s.MeOut(profile.me_data(user)).data)


# --- sessions --------------------------------------------------------------------------------


class SessionListApi(APIView):
    permission_classes = [IsPrincipal]

    @extend_schema(
        summary="My live sessions",
        description=(
            "The caller's live sessions (not ended, not expired), newest first. The list is bounded: a user "
            "holds at most `AUTHZ_MAX_SESSIONS_PER_USER` live sessions (default 50; a sign-in beyond it ends "
            "the least recently used one, reason `session_limit`), so it is always one page. It has the shape "
            "of a paginated list, with `next` and `previous` always null."
        ),
        responses={200: s.SessionListOut, **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        who = principal(request)
        now = timezone.now()
        sessions = [
            {
                "id": x.id,
                "created_at": x.created_at,
                "last_used_at": x.last_used_at,
                "user_agent": x.user_agent,
                "ip": x.ip,
                "device_id": x.device_id,
                "current": x.id == who.session_id,
            }
            for x in authz_service.list_sessions(user_id=who.user_id)
            if x.revoked_at is None and (x.expires_at is None or x.expires_at > now)
        ]
        return Response(s.SessionListOut({"next": None, "previous": None, "results": sessions}).data)


class SessionDeleteApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(summary="End one of my sessions", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, session_id: uuid.UUID) -> Response:
        authz_service.revoke_session(user_id=principal(request).user_id, session_id=session_id, reason="logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(summary="Sign out (this session)", request=None, responses={204: None, **errors(401, 403)})
    def post(self, request: Request) -> Response:
        who = principal(request)
        if who.session_id is not None:
            authz_service.revoke_session(user_id=who.user_id, session_id=who.session_id, reason="logout")
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_cookies(response)
        return response


class LogoutAllApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(summary="Sign out everywhere", request=None, responses={200: s.CountOut, **errors(401, 403)})
    def post(self, request: Request) -> Response:
        ended = authz_service.revoke_all_sessions(user_id=principal(request).user_id, reason="logout_all")
        response = Response({"revoked": ended})
        clear_cookies(response)
        return response


# --- two-factor --------------------------------------------------------------------------------


class MfaTotpSetupApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(summary="Start TOTP setup", request=None, responses={200: s.MfaSetupOut, **errors(401, 403, 409)})
    def post(self, request: Request) -> Response:
        secret, uri = mfa.setup(current_user(request))
        return Response({"secret": secret, "otpauth_uri": uri})


class MfaTotpEnableApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(
        summary="Turn TOTP on with a first code; returns one-time recovery codes",
        request=s.MfaCodeIn,
        responses={200: s.RecoveryCodesOut, **errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = s.MfaCodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        codes = mfa.enable(current_user(request), data.validated_data["code"])
        return Response({"recovery_codes": codes})


class MfaTotpDisableApi(APIView):
    permission_classes = [IsSession]

    @extend_schema(
        summary="Turn TOTP off (needs a TOTP or recovery code)",
        request=s.MfaCodeIn,
        responses={204: None, **errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = s.MfaCodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        mfa.disable(current_user(request), data.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Google (any OpenID provider) ---------------------------------------------------------------

OAUTH_STATE_COOKIE = "gau_oauth_state"
OAUTH_COOKIE_PATH = "/api/v2/account/oauth/"


def _login_answer(result: flows.LoginResult, *, cookie: bool) -> Response:
    if result.tokens is None:
        return Response({"mfa_required": True, "mfa_token": result.mfa_token})
    return token_response(result.tokens, cookie=cookie)


class GoogleLoginApi(PublicApi):
    @extend_schema(
        summary="Start Google sign-in",
        description="302 to the provider (authorization code flow with PKCE, state and nonce). The state is "
        "bound to this browser by an HttpOnly cookie. Optional `login_hint` is passed on.",
        parameters=[OpenApiParameter("login_hint", str, OpenApiParameter.QUERY, required=False)],
        responses={302: OpenApiResponse(description="Redirect to the provider."), **errors(503)},
    )
    def get(self, request: Request) -> HttpResponseRedirect:
        redirect_uri = request.build_absolute_uri(reverse("account:oauth-google-callback"))
        url, state = oidc.authorization_url(
            redirect_uri=redirect_uri, login_hint=request.query_params.get("login_hint") or None
        )
        response = HttpResponseRedirect(url)
        # SameSite=Lax: the provider's redirect back is a cross-site top-level GET.
        response.set_cookie(
            OAUTH_STATE_COOKIE,
            state,
            max_age=oidc.STATE_TTL,
            path=OAUTH_COOKIE_PATH,
            httponly=True,
            secure=settings.ACCOUNT_COOKIE_SECURE,
            samesite="Lax",
        )
        return response


class GoogleCallbackApi(PublicApi):
    @extend_schema(
        summary="Finish Google sign-in",
        description="The provider redirects here with `code` and `state`; answers with tokens (or an MFA step).",
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.QUERY),
            OpenApiParameter("state", str, OpenApiParameter.QUERY),
        ],
        responses={200: s.LoginOut, **errors(401, 403, 503)},
    )
    def get(self, request: Request) -> Response:
        state = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        bound = request.COOKIES.get(OAUTH_STATE_COOKIE, "")
        provider_error = request.query_params.get("error", "")
        if provider_error:
            raise OAuthFailedError(f"The provider answered: {provider_error[:100]}.")
        if not state or not code or not bound or not hmac.compare_digest(state.encode(), bound.encode()):
            raise OAuthFailedError("The sign-in state does not match this browser; start again.")
        claims = oidc.complete(code=code, state=state)
        result = flows.external_sign_in(
            provider="google", claims=claims, ip=client_ip(request), user_agent=user_agent(request)
        )
        response = _login_answer(result, cookie=False)
        response.delete_cookie(OAUTH_STATE_COOKIE, path=OAUTH_COOKIE_PATH)
        return response


class GoogleTokenApi(PublicApi):
    @extend_schema(
        summary="Sign in with a Google ID token (mobile and single-page apps)",
        description="The token's signature, issuer, expiry and audience (our client id) are checked.",
        request=s.IdTokenIn,
        responses={200: s.LoginOut, **errors(401, 403, 503)},
    )
    def post(self, request: Request) -> Response:
        data = s.IdTokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        claims = oidc.verify_id_token(data.validated_data["id_token"])
        result = flows.external_sign_in(
            provider="google",
            claims=claims,
            ip=client_ip(request),
            user_agent=user_agent(request),
            device_id=device_id(request),
        )
        return _login_answer(result, cookie=data.validated_data["cookie"])
