"""The abbreviations a family's plan may not use, and the words to write instead.

Read once from ``form_schemas/glossary.yaml`` by the ``Registry`` and handed
to every family-facing field (see ``Field.glossary``), so the web pages and
the API refuse the same answers with the same message. Pure: no Flask, no
marshmallow; the loader checks the file's shape.

Matching is on whole words and case-sensitive, exactly as an abbreviation is
written in the file: "TAF" is found in "the next TAF" and "TAFs", never in
"tactile", and "DA" never in "Dad". Longer terms are tried first, so
"C-SPOC" is reported as itself and not as "SPOC".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: Letters and digits: an abbreviation must not touch one on either side.
_WORD = "A-Za-z0-9"


@dataclass(frozen=True)
class Glossary:
    """``terms``: (abbreviation, the words to use instead) pairs, in file order."""

    terms: tuple[tuple[str, str], ...] = ()

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        """One expression for every term, longest first (a plural "s" allowed)."""
        if not self.terms:
            return None
        names = sorted((name for name, _ in self.terms), key=len, reverse=True)
        choices = "|".join(re.escape(name) for name in names)
        return re.compile(f"(?<![{_WORD}])({choices})s?(?![{_WORD}])")

    @functools.cached_property
    def _instead(self) -> dict[str, str]:
        return dict(self.terms)

    def first_in(self, text: str) -> tuple[str, str] | None:
        """The first abbreviation ``text`` uses and its replacement, or None."""
        if self._pattern is None:
            return None
        match = self._pattern.search(text)
        if match is None:
            return None
        return match.group(1), self._instead[match.group(1)]

    def problems(self) -> list[str]:
        """Why these terms cannot be used: a blank replacement, or one that itself
        uses an abbreviation of the glossary (the worker would be sent round in a circle)."""
        problems: list[str] = []
        for name, instead in self.terms:
            if not instead.strip():
                problems.append(f"{name}: the words to use instead are empty")
                continue
            found = self.first_in(instead)
            if found is not None:
                problems.append(f"{name}: the words to use instead use '{found[0]}'")
        return problems


def plain_words_message(abbreviation: str, instead: str) -> str:
    """The GOV.UK error when a family-facing answer uses an abbreviation."""
    return f"The family's plan cannot use '{abbreviation}'. Write '{instead}' instead"
