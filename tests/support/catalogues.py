"""Real translated text no one here wrote: the ``msgstr`` strings of Django's own catalogues.

Django's wheel ships ``conf/locale/<lang>/LC_MESSAGES/django.po`` for about a hundred
languages, written by its translators. Detector tests use them as a negative set.
"""

from __future__ import annotations

import contextlib
import io
from functools import cache
from pathlib import Path

import django
from babel.messages.pofile import read_po

LOCALE_DIR = Path(django.__file__).parent / "conf" / "locale"
# The languages issue 3 names, with Korean, Greek, Hebrew and Thai besides.
LANGUAGES = ("fr", "de", "ja", "zh_Hans", "ar", "fa", "hi", "ru", "uk", "ko", "el", "he", "th")


@cache
def msgstrs(language: str) -> tuple[str, ...]:
    """Every non-empty translation (each plural form too) of ``django.po`` for ``language``."""
    # Some catalogues carry more plural forms than they declare; babel prints a warning.
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").open("rb") as po, contextlib.redirect_stdout(io.StringIO()):
        catalog = read_po(po)
    strings: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        strings.extend(form for form in forms if form)
    return tuple(strings)
