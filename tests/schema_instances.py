"""Instances generated from a published JSON Schema, as an outside client would make them.

hypothesis-jsonschema understands drafts 4 to 7 only and ignores
``minContains``, so this is a small generator of our own for the 2020-12
keywords the service publishes: ``type``, ``properties``, ``required``,
``additionalProperties``, ``allOf`` with ``if``/``then``, ``anyOf``, ``not``,
``const``, ``enum``, ``pattern``, ``minLength``/``maxLength``, ``format``,
``items``, ``minItems``/``maxItems``, ``contains`` with ``minContains``/
``maxContains``, ``minimum``/``maximum`` and ``examples``.

It knows nothing of the forms: only the schema. A pattern it has no generator
for is an error, so a new pattern in the schema needs a line here. Callers
check every instance against the schema with ``jsonschema`` (see
:func:`conforms`), so the generator cannot cheat.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import uuid
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from forms_service.api.json_schema import REFERENCE_PATTERN
from forms_service.fieldtypes.clock_time import PATTERN as TIME_PATTERN
from forms_service.fieldtypes.files import ID_PATTERN as FILE_ID
from forms_service.fieldtypes.text import (
    EMAIL,
    MANY_LINES,
    NHS_PATTERN,
    ONE_LINE,
    PHONE_PATTERN,
)

POSTCODE_PATTERN = "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"
BLANK_PATTERN = "^\\s*$"
ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: Characters people type, and some they paste: accents, Welsh, Polish, emoji, markup.
SOLID = (
    string.ascii_letters
    + string.digits
    + "'-.,!?&()/:;\"@£%"
    + "éèçñöüßŵŷâ"
    + "łśżć"
    + "😀🏠"
    + "<>{}$#"
)


def _prose(rnd: random.Random, size: int = 12_000) -> str:
    """Words of 1 to 9 characters from :data:`SOLID`, to cut answers from."""
    words: list[str] = []
    length = 0
    while length < size:
        words.append("".join(rnd.choices(SOLID, k=rnd.randint(1, 9))))
        length += len(words[-1]) + 1
    return " ".join(words)


#: Made once: each generator cuts its answers from it at random places and lengths
#: (making it anew for every seeded generator was half the time of a completeness run).
PROSE = _prose(random.Random(20261127))

_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def conforms(schema: dict[str, Any], instance: Any) -> bool:
    """Whether ``instance`` is valid against ``schema``, formats asserted."""
    held = _VALIDATORS.get(id(schema))
    if held is None or held[0] is not schema:  # the schema object is kept, so its id stays its own
        checker = Draft202012Validator.FORMAT_CHECKER
        held = (schema, Draft202012Validator(schema, format_checker=checker))
        _VALIDATORS[id(schema)] = held
    return held[1].is_valid(instance)


class Generator:
    """Makes one instance of a schema per :meth:`instance` call, from a seeded random source."""

    def __init__(
        self, schema: dict[str, Any], seed: int, omit: frozenset[str] = frozenset()
    ) -> None:
        self.root = schema
        self.omit = omit
        self.rnd = random.Random(seed)
        self.patterns: dict[str, Callable[[int, int], str]] = {
            ONE_LINE: self._one_line,
            MANY_LINES: self._many_lines,
            EMAIL.pattern: lambda low, high: self._email(),
            POSTCODE_PATTERN: lambda low, high: self._postcode(),
            PHONE_PATTERN: lambda low, high: self._digits_and(" ()-", 7, 20),
            NHS_PATTERN: lambda low, high: self._digits_and("", 10, 10),
            REFERENCE_PATTERN: lambda low, high: self._reference(),
            BLANK_PATTERN: lambda low, high: self.rnd.choice(["", " ", "   "]),
            ISO_DATE: lambda low, high: self._date(),
            FILE_ID: lambda low, high: str(uuid.UUID(int=self.rnd.getrandbits(128), version=4)),
            TIME_PATTERN: lambda low, high: (
                f"{self.rnd.randint(0, 23):02d}:{self.rnd.randint(0, 59):02d}"
            ),
        }

    def instance(self) -> Any:
        return self.value(self.root)

    # -- by keyword ----------------------------------------------------------------
    def value(self, schema: dict[str, Any]) -> Any:
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._not(schema, lambda: self.rnd.choice(schema["enum"]))
        if "anyOf" in schema:
            branches = schema["anyOf"]
            first = self.rnd.random() < 0.8
            return self.value(branches[0] if first else self.rnd.choice(branches[1:]))
        kind = schema.get("type")
        makers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "object": self._object,
            "array": self._array,
            "string": self._string,
            "integer": self._integer,
            "boolean": lambda s: self._not(s, lambda: self.rnd.random() < 0.5),
            "null": lambda s: None,
        }
        if kind not in makers:
            raise NotImplementedError(f"no generator for {schema!r}")
        return makers[kind](schema)

    def _not(self, schema: dict[str, Any], make: Callable[[], Any]) -> Any:
        """A value from ``make`` that also keeps the schema's ``not``."""
        for _ in range(50):
            value = make()
            if "not" not in schema or not conforms(schema["not"], value):
                return value
        raise AssertionError(f"cannot keep 'not' in {schema!r}")

    def _object(self, schema: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self._apply(result, schema, schema.get("properties", {}))
        return result

    def _apply(self, result: dict[str, Any], schema: dict[str, Any], props: dict[str, Any]) -> None:
        """Give ``result`` what ``schema`` asks (properties, required, allOf) in order."""
        required = set(schema.get("required", []))
        for name, sub in schema.get("properties", {}).items():
            if not _generative(sub) or name in self.omit:
                continue  # a placeholder: the answer applies only under an allOf condition
            if name in required or self.rnd.random() < 0.5:
                result[name] = self.value(sub)
        for name in required - result.keys():
            result[name] = self.value(props[name])
        for part in schema.get("allOf", []):
            if "if" not in part:
                self._apply(result, part, props)
            elif conforms(part["if"], result):
                self._apply(result, part.get("then", {}), props)
        # a nested condition (``if`` c1 ``then`` {``if`` c2 ``then`` …}: see ``when_all``)
        if "if" in schema and "allOf" not in schema and conforms(schema["if"], result):
            self._apply(result, schema.get("then", {}), props)

    def _array(self, schema: dict[str, Any]) -> list[Any]:
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 3), low + 3)
        items = [self.value(schema["items"]) for _ in range(self.rnd.randint(low, high))]
        for counted in schema.get("allOf", []):
            self._count(items, schema["items"], counted)
        return items

    def _count(self, items: list[Any], item_schema: dict[str, Any], rule: dict[str, Any]) -> None:
        """Make the number of items matching ``contains`` fall within min/maxContains."""
        contains = rule["contains"]
        low, high = rule.get("minContains", 1), rule.get("maxContains", len(items) + 1)
        matching = [i for i, item in enumerate(items) if conforms(contains, item)]
        for index in matching[high:]:
            self._reshape(items[index], item_schema, contains, match=False)
        while len([item for item in items if conforms(contains, item)]) < low:
            spare = [i for i, item in enumerate(items) if not conforms(contains, item)]
            if not spare:
                items.append(self.value(item_schema))
                continue
            self._reshape(items[self.rnd.choice(spare)], item_schema, contains, match=True)

    def _reshape(
        self,
        item: dict[str, Any],
        item_schema: dict[str, Any],
        contains: dict[str, Any],
        match: bool,
    ) -> None:
        """Change the properties ``contains`` names so the item does (or does not) match."""
        for name, wanted in contains.get("properties", {}).items():
            allowed = item_schema["properties"][name].get("enum", [])
            choices = [v for v in allowed if (v in wanted["enum"]) == match]
            item[name] = self.rnd.choice(choices)
        # what depends on the changed answers now applies (or no longer does)
        self._apply(item, {"allOf": item_schema.get("allOf", [])}, item_schema["properties"])

    def _integer(self, schema: dict[str, Any]) -> int:
        return self.rnd.randint(schema.get("minimum", -1000), schema.get("maximum", 1000))

    def _string(self, schema: dict[str, Any]) -> str:
        if schema.get("examples") and self.rnd.random() < 0.97:
            return str(self.rnd.choice(schema["examples"]))
        low, high = schema.get("minLength", 0), schema.get("maxLength", 60)
        pattern = schema.get("pattern")
        if pattern is None:
            return self._one_line(max(low, 1), high)
        if pattern not in self.patterns:
            raise NotImplementedError(f"no generator for the pattern {pattern!r}")
        return self.patterns[pattern](low, high)

    # -- by pattern -------------------------------------------------------------------
    def _length(self, low: int, high: int) -> int:
        """Mostly short answers, sometimes right at the limits."""
        high = max(high, low)
        roll = self.rnd.random()
        if roll < 0.05:
            return low
        if roll < 0.1:
            return high
        return self.rnd.randint(low, min(high, low + 80))

    def _one_line(self, low: int, high: int) -> str:
        target = max(self._length(max(low, 1), high), 1)
        start = self.rnd.randint(0, len(PROSE) - target - 1)
        text = PROSE[start : start + target].strip()
        return text if len(text) >= low else text + "x" * (low - len(text))

    def _many_lines(self, low: int, high: int) -> str:
        text = self._one_line(low, high)
        spaces = [i for i, ch in enumerate(text) if ch == " "]
        for index in self.rnd.sample(spaces, k=min(len(spaces), self.rnd.randint(0, 3))):
            text = text[:index] + "\n" + text[index + 1 :]
        return text

    def _email(self) -> str:
        local = "".join(self.rnd.choice(string.ascii_lowercase + "._+") for _ in range(6))
        return f"a{local}@{self.rnd.choice(['school.sch.uk', 'nhs.net', 'example.org'])}"

    def _postcode(self) -> str:
        letters, digits = string.ascii_letters, string.digits
        area = "".join(self.rnd.choice(letters) for _ in range(self.rnd.randint(1, 2)))
        district = self.rnd.choice(digits) + self.rnd.choice(["", self.rnd.choice(digits)])
        space = self.rnd.choice(["", " "])
        inward = self.rnd.choice(digits) + "".join(self.rnd.choice(letters) for _ in range(2))
        return f"{area}{district}{space}{inward}"

    def _digits_and(self, extra: str, low: int, high: int) -> str:
        size = self.rnd.randint(low, high)
        return "".join(self.rnd.choice(string.digits + extra) for _ in range(size))

    def _reference(self) -> str:
        chars = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        part = lambda: "".join(self.rnd.choice(chars) for _ in range(4))  # noqa: E731
        return f"EH-{part()}-{part()}"

    def _date(self) -> str:
        today = dt.date.today()
        return (today + dt.timedelta(days=self.rnd.randint(-365 * 20, 365 * 2))).isoformat()


def _generative(schema: dict[str, Any]) -> bool:
    """Whether a property schema says what to make (not a bare description)."""
    return any(key in schema for key in ("type", "const", "enum", "anyOf"))
