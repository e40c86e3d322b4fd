"""The shared machinery of Gau's hosted pages (the pages the emailed links open: account's verify, reset,
email change and unlock pages, kanban's invitation page).

One look (``templates/pages/base.html``, ``static/pages/pages.css``, the palette of the HTML emails),
one set of headers, one language rule and one CSRF rule; each app keeps its own views and words.

Server-rendered, no script, English or Vietnamese from the link's ``lang`` or ``Accept-Language``.
Headers on every page: a strict CSP (no script at all), ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` (the token is in the URL) and ``Cache-Control: no-store``.

CSRF: Django's token (cookie + form field) on every POST. With ``Referrer-Policy: no-referrer`` a
browser posts the pages' forms with ``Origin: null``, which Django's middleware refuses; the pages' own
check accepts that one value unless the browser says the post came from elsewhere (``Sec-Fetch-Site``
other than ``same-origin``: fetch metadata, which a page on another site cannot forge). The CSRF token
is checked as always. This is sound because the pages never act on an ambient session: they act on the
link's token (and, on the invitation page, on the credentials typed into the form).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.decorators import decorator_from_middleware
from django.views import View
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt

#: The languages the pages (and the emails) are written in.
LANGUAGES = ("en", "vi")

#: No script at all, styles only from our static file, forms only to ourselves, never framed.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

#: Words every page uses (the layout, the CSRF failure page, the service-down page); an app's catalog
#: is merged over these with :func:`catalog`.
COMMON_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "brand": "Gau",
        "footer": "This page belongs to your Gau account. If you did not expect it, you can close it.",
        "csrf_title": "Please try again",
        "csrf": "This form was open for too long, or your browser blocked a cookie it needs. "
        "Go back, reload the page and try once more.",
        "unavailable_title": "Something went wrong on our side",
        "unavailable": "We could not finish this just now. Try again in a minute.",
    },
    "vi": {
        "brand": "Gau",
        "footer": "Trang này thuộc về tài khoản Gau của bạn. Nếu bạn không mong đợi nó, bạn có thể đóng trang.",
        "csrf_title": "Vui lòng thử lại",
        "csrf": "Biểu mẫu này đã mở quá lâu, hoặc trình duyệt đã chặn một cookie cần thiết. "
        "Hãy quay lại, tải lại trang và thử lần nữa.",
        "unavailable_title": "Đã có lỗi từ phía chúng tôi",
        "unavailable": "Chúng tôi chưa thể hoàn tất lúc này. Hãy thử lại sau một phút.",
    },
}

Catalog = dict[str, dict[str, str]]


def catalog(own: Catalog) -> Catalog:
    """An app's words merged over :data:`COMMON_TEXT`, for every language."""
    return {lang: {**COMMON_TEXT[lang], **own.get(lang, {})} for lang in LANGUAGES}


class PageCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF check, accepting ``Origin: null`` from a same-origin form post (see module doc)."""

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            # Browsers without fetch metadata (older Safari) still have the token check, and these
            # pages never act on a signed-in session, so CSRF could only make a browser use a link
            # (or credentials) the attacker already holds.
            return bool(request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin")
        return bool(super()._origin_verified(request))  # type: ignore[misc]  # private in django-stubs


page_csrf_protect = decorator_from_middleware(PageCsrfMiddleware)


def page_language(request: HttpRequest) -> str:
    """``lang`` from the link (or the form), else ``Accept-Language``, else English."""
    asked = str(request.POST.get("lang") or request.GET.get("lang") or "").strip().lower()[:8]
    if asked in LANGUAGES:
        return asked
    detected = translation.get_language_from_request(request).split("-")[0]
    return detected if detected in LANGUAGES else "en"


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, text: Catalog, status: int = 200
) -> HttpResponse:
    """Render ``template`` in the page's language (``t`` is its words), with the security headers."""
    lang = page_language(request)
    with translation.override(lang):
        response = render(request, template, {"t": text[lang], "lang": lang, **context}, status=status)
    response["Content-Security-Policy"] = PAGE_CSP
    response["Referrer-Policy"] = "no-referrer"
    response["X-Frame-Options"] = "DENY"
    response["Content-Language"] = lang
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


def outcome(
    request: HttpRequest,
    *,
    text: Catalog,
    kind: str,
    title: str,
    message: str,
    status: int,
    help_text: str = "",
    action_url: str = "",
    action_label: str = "",
) -> HttpResponse:
    """One outcome page (``pages/outcome.html``): ``kind`` is done, expired, used, invalid, throttled or
    error (its look and test hook). ``title``, ``message`` ... are keys of ``text`` or literal words."""
    lang = page_language(request)
    t = text[lang]
    return render_page(
        request,
        "pages/outcome.html",
        {
            "kind": kind,
            "page": kind,
            "title": t.get(title, title),
            "message": t.get(message, message),
            "help_text": t.get(help_text, help_text),
            "action_url": f"{action_url}?lang={lang}" if action_url else "",
            "action_label": t.get(action_label, action_label),
        },
        text=text,
        status=status,
    )


def html_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Mark a view as an HTML page: gau.middleware leaves its 4xx pages alone, csrf_failure renders
    its failures in the same look."""
    view.html_page = True  # type: ignore[attr-defined]
    return view


def page_view(view: type[View]) -> Callable[..., HttpResponseBase]:
    """The view function of a page class: its own CSRF check (see module doc), marked as HTML."""
    return html_page(csrf_exempt(page_csrf_protect(view.as_view())))


_COMMON = catalog({})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a page for the hosted pages, Django's own answer everywhere else."""
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match.func, "html_page", False):
        return outcome(request, text=_COMMON, kind="error", title="csrf_title", message="csrf", status=403)
    return django_csrf_failure(request, reason=reason)
