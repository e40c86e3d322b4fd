"""Render one message: subject, plain text and HTML (CSS inlined), in the recipient's locale.

Templates live in ``apps/email/templates/email/<locale>/<app>/<name>/{subject.txt,body.txt,body.html}``;
each body extends ``email/<locale>/base.{txt,html}``, which extends the shared layout
``email/layout.{txt,html}``. A locale without its own copy of a template falls back to English.
Links passed as ``*_url`` context values that start with ``/`` are made absolute with
``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import css_inline
from django.conf import settings
from django.template import Context, TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import select_template
from django.utils import timezone, translation

from apps.email import catalog

_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
_SPACES = re.compile(r"\s+")


class RenderError(Exception):
    """A message cannot be rendered (unknown template, missing context key, template error)."""


@dataclass(frozen=True)
class Rendered:
    """A rendered message, ready to send."""

    subject: str
    text: str
    html: str
    locale: str


def absolute_url(value: str) -> str:
    """``/x`` → ``<PUBLIC_BASE_URL>/x``; absolute URLs are returned unchanged."""
    if value.startswith("/") and not value.startswith("//"):
        return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{value}"
    return value


def missing_keys(template: str, context: dict[str, Any]) -> list[str]:
    """Context keys ``template`` needs that ``context`` lacks (sorted)."""
    message = catalog.get(template)
    if message is None:
        return []
    return sorted(k for k in message.keys if context.get(k) in (None, ""))


def render(template: str, context: dict[str, Any], locale: str | None) -> Rendered:
    """Render ``template`` with ``context`` in ``locale``; raises :class:`RenderError` with a clear reason."""
    if catalog.get(template) is None:
        raise RenderError(f"unknown template {template!r}")
    missing = missing_keys(template, context)
    if missing:
        raise RenderError(f"template {template!r} needs context key(s) {', '.join(missing)}")
    loc = catalog.normalise_locale(locale)
    values: dict[str, Any] = {
        key: absolute_url(value) if key.endswith("_url") and isinstance(value, str) else value
        for key, value in context.items()
    }
    values.update(base_url=settings.PUBLIC_BASE_URL.rstrip("/"), locale=loc, year=timezone.now().year)
    with translation.override(loc):
        subject = _SPACES.sub(" ", _render(loc, template, "subject.txt", values, autoescape=False)).strip()
        text = _render(loc, template, "body.txt", values, autoescape=False).strip() + "\n"
        html = _render(loc, template, "body.html", {**values, "subject": subject}, autoescape=True)
    if not subject:
        raise RenderError(f"template {template!r} rendered an empty subject")
    try:
        html = _INLINER.inline(html)
    except ValueError as exc:  # css_inline reports bad CSS/HTML as ValueError subclasses
        raise RenderError(f"template {template!r}: CSS inlining failed: {exc}") from exc
    return Rendered(subject=subject, text=text, html=html, locale=loc)


def _render(loc: str, template: str, part: str, values: dict[str, Any], *, autoescape: bool) -> str:
    names = [f"email/{loc}/{template}/{part}"]
    if loc != catalog.LOCALES[0]:
        names.append(f"email/{catalog.LOCALES[0]}/{template}/{part}")
    try:
        compiled = select_template(names)
        return str(compiled.template.render(Context(values, autoescape=autoescape)))
    except TemplateDoesNotExist as exc:
        raise RenderError(f"template {template!r}: no {part} (looked for {', '.join(names)})") from exc
    except TemplateSyntaxError as exc:
        raise RenderError(f"template {template!r}: {part}: {exc}") from exc
