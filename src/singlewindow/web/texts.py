"""The console's templates and texts: one Jinja2 environment, one gettext catalogue per
language.

Each room keeps its page templates in its own `templates/` folder and names them by room:
`declarations/list.html` is `src/singlewindow/declarations/templates/list.html`; the shell's
own are `web/...`. Every text a page shows is written in English inside `{% trans %}` or
`_()`, and a translation is one file, `web/locale/<lang>/LC_MESSAGES/messages.po` (Babel
extracts the texts: `docs/console.md`). The catalogue is compiled when the node starts, so
that no binary file is kept beside it.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, PrefixLoader, select_autoescape

from singlewindow.web.menu import page_context

PACKAGE = Path(__file__).resolve().parent.parent
LOCALES = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"


def languages() -> tuple[str, ...]:
    """English and every language with a catalogue."""
    found = sorted(p.name for p in LOCALES.iterdir() if (p / "LC_MESSAGES").is_dir())
    return (DEFAULT_LANGUAGE, *found)


@cache
def translations(language: str) -> gettext.NullTranslations:
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def template_folders() -> dict[str, FileSystemLoader]:
    """`room name → its templates`, for every room of the package that has pages."""
    return {
        room.name: FileSystemLoader(room / "templates")
        for room in sorted(PACKAGE.iterdir())
        if (room / "templates").is_dir()
    }


def _number(value: Decimal | float | int | None, places: int = 2) -> str:
    if value is None:
        return ""
    return format_decimal(value, format=f"#,##0.{'0' * places}" if places else "#,##0",
                          locale="en")


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PrefixLoader(dict(template_folders())),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The i18n extension adds this method; Environment's type does not know it.
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["number"] = _number
    return env


def language_of(request: Request) -> str:
    """The session's chosen language, else the browser's best match, else English."""
    chosen = request.session.get("lang")
    available = languages()
    if isinstance(chosen, str) and chosen in available:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in available:
            return code
    return DEFAULT_LANGUAGE


def gettext_of(request: Request) -> gettext.NullTranslations:
    return translations(language_of(request))


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page (or, for htmx, a fragment) rendered in the session's language."""
    language = language_of(request)
    template = environment(language).get_template(name)
    values = {**page_context(request, language), **(context or {})}
    return HTMLResponse(template.render(values), status_code=status_code,
                        headers=dict(headers or {}))
