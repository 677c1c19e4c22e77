"""Wording every field type shares: messages name the field and say how to fix it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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


def hint_text(definition: Field, rules: Sequence[str] = ()) -> str | None:
    """The question's hint as shown and published.

    ``rules`` are sentences its type states from the definition (a length
    limit), so no schema file repeats by hand what the server enforces. A
    family-facing question ends with "The family will read this.", so the
    worker writes for the family.
    """
    sentences = [definition.hint, *rules, FAMILY_READS if definition.family_facing else None]
    return " ".join(s for s in sentences if s) or None


def length_rules(definition: Field, *, most: int | None) -> list[str]:
    """GOV.UK hint sentences for a text answer's limits: "Write at least 50
    characters.", "You can enter up to 300 characters." (``most``: None when
    something else, the character count, states the maximum)."""
    rules = []
    if definition.min_length:
        rules.append(f"Write at least {definition.min_length:,} characters.")
    if most:
        rules.append(f"You can enter up to {most:,} characters.")
    return rules


def advice_message(advice: Advice, contacts: Mapping[str, str]) -> str:
    """The advice page as one sentence block (an API error), contacts filled in."""
    return " ".join([f"{advice.title}.", *(fill_contacts(p, contacts) for p in advice.body)])
