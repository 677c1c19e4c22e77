"""The in-memory shape of a form definition.

Frozen dataclasses, built once by the loader from a schema file and then shared
by every request, worker and CLI call. Nothing here knows about Flask, WTForms
or marshmallow: each of those layers reads these objects and builds its own
representation, so a form is described in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    """One answer of a choice or multiple-choice question."""

    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class Condition:
    """A declarative test on a sibling answer; never evaluated as code.

    Exactly one of ``equals``, ``one_of`` or ``includes`` is set by the loader.
    ``includes`` is for multiple-choice answers: true when the value was picked.
    """

    field: str
    equals: Any = None
    one_of: tuple[Any, ...] | None = None
    includes: str | None = None

    def holds(self, answers: dict[str, Any]) -> bool:
        """Whether the condition is met by ``answers`` (the sibling scope)."""
        value = answers.get(self.field)
        if self.one_of is not None:
            return value in self.one_of
        if self.includes is not None:
            return isinstance(value, list) and self.includes in value
        return bool(value == self.equals)


@dataclass(frozen=True)
class Stop:
    """An answer that ends the form: nothing is stored, the user is redirected.

    ``body`` paragraphs may name configured contacts as ``{level4_phone}`` and
    the like; they are filled from configuration, never from user input.
    """

    when: Any
    title: str
    body: tuple[str, ...]


@dataclass(frozen=True)
class DateRule:
    """Bounds on a date answer, relative to today."""

    not_future: bool = False
    future_only: bool = False
    max_years_ago: int | None = None
    max_days_ahead: int | None = None


@dataclass(frozen=True)
class ItemRule:
    """A rule over the items of a repeating group (for example one lead child)."""

    kind: str  # "exactly_one" | "at_least_one"
    field: str
    one_of: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class CountHint:
    """Advice shown when a repeating group has a number of items in a range."""

    min: int
    max: int | None
    text: str
    where: Condition | None = None

    def applies(self, items: list[dict[str, Any]]) -> bool:
        """Whether the number of (matching) items falls in this hint's range."""
        count = sum(1 for item in items if self.where is None or self.where.holds(item))
        return count >= self.min and (self.max is None or count <= self.max)


@dataclass(frozen=True)
class Field:
    """One question, or a container of questions."""

    name: str
    type: str
    label: str
    hint: str | None = None
    required: bool = True
    error_name: str | None = None
    max_length: int | None = None
    min_length: int | None = None
    options: tuple[Option, ...] = ()
    show_if: Condition | None = None
    must_be: Any = None
    must_be_message: str | None = None
    stop: Stop | None = None
    date: DateRule | None = None
    fields: tuple[Field, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    item_label: str | None = None
    item_plural: str | None = None
    summary: tuple[str, ...] = ()
    item_rules: tuple[ItemRule, ...] = ()
    count_hints: tuple[CountHint, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    messages: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def noun(self) -> str:
        """How error messages name this field, e.g. ``"your job title"``."""
        return self.error_name or self.label[:1].lower() + self.label[1:].rstrip("?")

    @property
    def a_item(self) -> str:
        """The item label with its article: "a need", "an agreement"."""
        label = self.item_label or "item"
        return f"{'an' if label[:1].lower() in 'aeiou' else 'a'} {label}"

    def count_items(self, count: int) -> str:
        """ "1 need", "2 needs", "3 people's views": the schema may give the plural."""
        label = self.item_label or "item"
        plural = self.item_plural or f"{label}s"
        return f"{count} {label if count == 1 else plural}"

    @property
    def items_plural(self) -> str:
        """The plural of the item label."""
        return self.item_plural or f"{self.item_label or 'item'}s"

    def option_label(self, value: Any) -> str:
        """The label shown for a stored option value (the value if unknown)."""
        for option in self.options:
            if option.value == value:
                return option.label
        return str(value)

    def child(self, name: str) -> Field:
        """The contained field called ``name``."""
        for sub in self.fields:
            if sub.name == name:
                return sub
        raise KeyError(name)


@dataclass(frozen=True)
class Page:
    """One screen of the web form."""

    id: str
    title: str
    fields: tuple[Field, ...]
    intro: tuple[str, ...] = ()
    show_if: Condition | None = None

    @property
    def repeating(self) -> Field | None:
        """The page's repeating group; such a page holds nothing else."""
        if len(self.fields) == 1 and self.fields[0].type == "repeating":
            return self.fields[0]
        return None


@dataclass(frozen=True)
class Documents:
    """Which templates in ``doc_templates/`` render this form."""

    pdf: str
    docx: str


@dataclass(frozen=True)
class FormRule:
    """A rule across answers on different pages, checked when the form is sent.

    ``covers``: every item of ``items`` (optionally only those matching
    ``where``) must have an item in ``by`` with the same ``key``/``by_key``
    value. ``date_within``: the date at ``field`` must be on or after the date
    at ``after`` and at most ``max_days`` later. Paths use dots for groups.
    """

    kind: str
    message: str
    items: str | None = None
    where: Condition | None = None
    key: str | None = None
    by: str | None = None
    by_key: str | None = None
    field: str | None = None
    after: str | None = None
    max_days: int | None = None
    working_days: bool = False


@dataclass(frozen=True)
class Computed:
    """A value worked out from answers, e.g. a date 10 working days on."""

    name: str
    label: str
    kind: str  # "working_days_after"
    field: str
    days: int


@dataclass(frozen=True)
class Copy:
    """One prefill step: copy ``source`` of an earlier submission into ``target``."""

    target: str
    source: str
    where: Condition | None = None
    fields: tuple[tuple[str, str], ...] = ()
    set: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Prefill:
    """How to start this form from an earlier submission of ``form``."""

    form: str
    copies: tuple[Copy, ...]


@dataclass(frozen=True)
class RecordKeys:
    """Where the family record finds what it needs in this form's answers.

    ``household`` names the repeating group of people (the shared ``person``
    block: role, first_name, last_name, date_of_birth, nhs_number), from which
    the list summary (the first name and age of the person matching
    ``lead``, the lead child) and the blind match keys are made;
    ``postcode`` and ``organisation_type`` are dotted paths; ``closes_family``
    is a condition on the answers that ends the service's involvement (a
    review that closes or steps down).
    """

    household: str | None = None
    lead: Condition | None = None
    postcode: str | None = None
    organisation_type: str | None = None
    closes_family: Condition | None = None


#: Who may fill in a form: ``anyone`` (a referral: the front door is never
#: locked) or ``staff`` (signed in, for a family they may work with).
ACCESS_LEVELS = ("anyone", "staff")


@dataclass(frozen=True)
class FormDefinition:
    """A whole form: pages in order, documents and delivery."""

    id: str
    version: int
    title: str
    short_title: str
    reference_prefix: str
    description: tuple[str, ...]
    pages: tuple[Page, ...]
    documents: Documents
    family_plan: Documents | None = None
    confirmation: tuple[str, ...] = ()
    rules: tuple[FormRule, ...] = ()
    warnings: tuple[FormRule, ...] = ()
    computed: tuple[Computed, ...] = ()
    prefill: tuple[Prefill, ...] = ()
    access: str = "staff"
    record: RecordKeys = field(default_factory=RecordKeys)
    source: str = ""

    @property
    def open_to_anyone(self) -> bool:
        """A referral form: no account needed to fill it in."""
        return self.access == "anyone"

    def prefill_from(self, form_id: str) -> Prefill | None:
        """How to prefill this form from a submission of ``form_id``, if allowed."""
        for prefill in self.prefill:
            if prefill.form == form_id:
                return prefill
        return None

    def page(self, page_id: str) -> Page:
        """The page called ``page_id``; ``KeyError`` if there is none."""
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)

    @property
    def fields(self) -> Iterator[Field]:
        """Top-level fields of every page, in form order."""
        for page in self.pages:
            yield from page.fields

    def field(self, name: str) -> Field:
        """The top-level field called ``name``."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)
