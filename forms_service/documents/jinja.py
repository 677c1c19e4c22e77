"""The one Jinja environment factory for document templates.

Every document template autoescapes, whatever its file name: Flask only
autoescapes ``.html``-like names and a bare ``jinja2.Environment`` escapes
nothing. Undefined names fail loudly (``StrictUndefined``) so a template that
names a missing answer is caught by tests, not shipped as a blank.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined


def make_environment(templates_dir: Path | None = None) -> Environment:
    """A fresh autoescaping, strict environment loading from ``templates_dir``."""
    loader = FileSystemLoader(str(templates_dir)) if templates_dir is not None else None
    return Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=False,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=16)
def environment(templates_dir: Path | None = None) -> Environment:
    """The shared environment for ``templates_dir`` (compiled templates are cached)."""
    return make_environment(templates_dir)
