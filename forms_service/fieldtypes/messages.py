"""Wording every field type shares: messages name the field and say how to fix it."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..definitions.model import Advice, Field, Stop

#: Added to the hint of every question whose words go into "Our Family Plan".
FAMILY_READS = "The family will read this."


def capitalise(text: str) -> str:
    """First letter upper-case, the rest untouched ("your name" → "Your name")."""
    return text[:1].upper() + text[1:]


def fill_contacts(text: str, contacts: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders with configured contact details only."""
    return re.sub(r"\{([a-z0-9_]+)\}", lambda m: contacts.get(m.group(1), m.group(0)), text)


def stop_message(stop: Stop, contacts: Mapping[str, str]) -> str:
    """The stop screen as one sentence block, contacts filled from configuration."""
    return " ".join([f"{stop.title}.", *(fill_contacts(p, contacts) for p in stop.body)])


def hint_text(definition: Field) -> str | None:
    """The question's hint as shown and published: a family-facing question ends
    with "The family will read this.", so the worker writes for the family."""
    if not definition.family_facing:
        return definition.hint
    return f"{definition.hint} {FAMILY_READS}" if definition.hint else FAMILY_READS


def advice_message(advice: Advice, contacts: Mapping[str, str]) -> str:
    """The advice page as one sentence block (an API error), contacts filled in."""
    return " ".join([f"{advice.title}.", *(fill_contacts(p, contacts) for p in advice.body)])
