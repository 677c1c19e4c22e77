"""A time of day ("the time of the call"), stored as 24-hour ``HH:MM``.

People write times many ways (14:30, 2:30pm, 2.30 pm, 9am); the web page
accepts those and stores one form, which the API publishes as its pattern.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .base import register
from .text import TextAnswer, TextType

#: hours, optional minutes after ":" or ".", optional am/pm.
TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")
PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


def parse_time(value: str) -> str | None:
    """``"2.30pm"`` → ``"14:30"``; None when it is not a real time of day."""
    match = TIME.match(value.strip().lower().replace("noon", "12pm"))
    if not match:
        return None
    hours, minutes, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half is None and match.group(2) is None:
        return None  # "14" alone is not a time
    if half is not None:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half == "pm" else 0)
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


@register
class TimeType(TextType):
    """A time of day, like 14:30 or 2:30pm."""

    name = "time"
    default_max = 10
    width = "govuk-input--width-5"
    spellcheck = False
    example: ClassVar[str] = "14:30 or 2:30pm"

    def clean(self, answer: TextAnswer, value: str) -> str:
        found = parse_time(value)
        if found is None:
            raise self.wrong_format(answer)
        return found

    def json_schema(self, definition: Any) -> dict[str, Any]:
        return {**super().json_schema(definition), "pattern": PATTERN}
