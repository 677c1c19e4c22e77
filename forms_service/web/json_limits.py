"""JSON request bodies with a bounded nesting depth.

No answer a form takes is nested more than a handful of levels (a repeating
group inside a group inside the body), yet Python's parser recurses once per
level: a body nested about 1,000 deep raised ``RecursionError`` (a 500 with a
traceback), and one within the limit still made every later walk of the
answers recurse as deep. So the depth is measured first, by a linear scan that
skips string contents, and anything deeper than ``MAX_DEPTH`` is refused as a
``ValueError``, which Flask turns into the same 400 as any malformed body.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

#: Far deeper than any form (the deepest answer is 4 levels), far shallower than recursion.
MAX_DEPTH = 32

# A whole string literal: its brackets do not count.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")
_OPEN_RUN = re.compile(rb"[\[{]{%d}" % (MAX_DEPTH + 1))


class TooDeep(ValueError):
    """The body nests arrays or objects deeper than ``MAX_DEPTH``."""


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether ``body`` nests ``[``/``{`` more than ``limit`` deep.

    Strings are blanked, everything but brackets dropped, then each pass
    removes the innermost pairs, which is exactly one level: if ``limit``
    passes do not empty it, it is deeper (or unbalanced, and the parser will
    refuse it anyway). Every step runs in C, so a megabyte takes milliseconds.
    """
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if limit == MAX_DEPTH and _OPEN_RUN.search(brackets):
        return True  # the common attack, found in one pass
    for _ in range(limit):
        if not brackets:
            return False
        brackets = _INNERMOST.sub(b"", brackets)
    return bool(brackets)


def loads_bounded(data: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that refuses bodies nested deeper than ``MAX_DEPTH`` (``ValueError``)."""
    body = bytes(data) if isinstance(data, bytes | bytearray) else data.encode("utf-8", "replace")
    if too_deep(body):
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(data, **kwargs)
    except RecursionError as exc:  # cannot happen under the limit; never a 500 if it does
        raise TooDeep(str(exc)) from exc


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with ``loads`` bounded in depth (``request.get_json``)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s, **kwargs)
