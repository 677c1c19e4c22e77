"""The in-memory shape of a form definition.

Frozen dataclasses, built once from a schema file (the marshmallow meta-schema
makes them as it loads, see ``meta_schema.py``) and then shared by every
request, worker and CLI call. Nothing here knows about Flask, WTForms or
marshmallow: each of those layers reads these objects and builds its own
representation, so a form is described in exactly one place.

Rules come in kinds (``covers``, ``date_within``, ``exactly_one``…): each kind
is its own class, named by its ``kind`` class variable and holding only the
attributes it needs, and it checks itself, so no reader dispatches on a string.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..workdays import WorkingCalendar
from .glossary import Glossary

#: The marker a label ends with when the question may be left blank.
_OPTIONAL_MARK = re.compile(r"\s*\(optional\)\s*$", re.IGNORECASE)


def with_article(noun: str) -> str:
    """ "a need", "an agreement", "an Early Help request" (by the first letter)."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def plural(noun: str) -> str:
    """The regular English plural ("need" → "needs", "agency" → "agencies",
    "address" → "addresses"); a schema names irregular ones (``item_plural``)."""
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"


def resolve(fields: Sequence[Field], path: str) -> Field | None:
    """The field at a dotted path (``meeting.date``) through groups, or None."""
    head, _, rest = path.partition(".")
    for fld in fields:
        if fld.name == head:
            return resolve(fld.fields, rest) if rest else fld
    return None


def value_at(answers: Mapping[str, Any], path: str) -> Any:
    """The answer at a dotted path, or None."""
    current: Any = answers
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def as_date(value: Any) -> dt.date | None:
    """A stored ``YYYY-MM-DD`` answer as a date (None when it is not one)."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Option:
    """One answer of a choice or multiple-choice question.

    ``tag`` is the colour a printed document shows it in, as a GOV.UK tag with
    its words (a red, amber or green status): colour is never the only signal.
    """

    value: str
    label: str
    hint: str | None = None
    tag: str | None = None


#: The colours an option's ``tag`` may take (GOV.UK tag colours a print can show).
TAG_COLOURS = ("green", "yellow", "orange", "red", "grey", "blue", "purple")


@dataclass(frozen=True)
class AnswerOptions:
    """Options of a choice drawn from other answers of the same submission.

    Each item of the repeating group ``source`` (``list:`` in a schema file;
    or the one group of that name)
    offers one option whose text is ``label`` with every ``{field}`` filled
    by that item's answer as a reader sees it (an option's label, not its
    code): ``"{first_name} {last_name}"`` offers "Grace Okonkwo". An
    ``optional`` source is skipped in a form that has no such answer, so a
    shared block can draw on the professionals where a form lists them.
    """

    source: str
    label: str
    optional: bool = False

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The answer names ``label`` fills in, in order."""
        return tuple(re.findall(r"\{([a-z][a-z0-9_]*)\}", self.label))


@dataclass(frozen=True)
class Condition:
    """A declarative test on a sibling answer; never evaluated as code.

    Exactly one of ``equals``, ``one_of``, ``includes`` or ``includes_any`` is set
    by the loader. ``includes`` is for multiple-choice answers: true when the
    value was picked; ``includes_any``: when any of those values was picked.
    """

    field: str
    equals: Any = None
    one_of: tuple[Any, ...] | None = None
    includes: str | None = None
    includes_any: tuple[str, ...] | None = None

    def holds(self, answers: dict[str, Any]) -> bool:
        """Whether the condition is met by ``answers`` (the sibling scope)."""
        return self.test(answers.get(self.field))

    def holds_at(self, answers: Mapping[str, Any]) -> bool:
        """Whether the condition is met, its ``field`` a dotted path from the form's root."""
        return self.test(value_at(answers, self.field))

    def test(self, value: Any) -> bool:
        """Whether one answer meets the condition."""
        if self.one_of is not None:
            return value in self.one_of
        if self.includes is not None:
            return isinstance(value, list) and self.includes in value
        if self.includes_any is not None:
            return isinstance(value, list) and any(v in value for v in self.includes_any)
        return bool(value == self.equals)


@dataclass(frozen=True)
class Stop:
    """An answer that ends the form: nothing is stored, the user is redirected.

    ``body`` paragraphs may name configured contacts as ``{level4_phone}`` and
    the like; they are filled from configuration, never from user input.
    ``unless`` names another answer under which the same answer is allowed (a
    referrer confirming in writing a concern they have already phoned through
    answers "significant harm: yes" and must still reach the form): the stop is
    decided only where that other answer is known, the whole form or the page
    with the saved answers.
    """

    when: Any
    title: str
    body: tuple[str, ...]
    unless: Condition | None = None

    def applies(self, value: Any, answers: Mapping[str, Any]) -> bool:
        """Whether ``value`` stops the form, given the other ``answers``."""
        if value != self.when:
            return False
        return self.unless is None or not self.unless.holds(dict(answers))


@dataclass(frozen=True)
class Advice:
    """An answer ("Not sure") that cannot be sent but should not lose the draft.

    The page says who to ask (configured contacts, filled as for a stop) and
    offers to go back and change the answer; the draft is kept, minus this answer.
    """

    when: Any
    title: str
    body: tuple[str, ...]


@dataclass(frozen=True)
class Trigger:
    """One test that raises an alert, on the answer at a dotted ``field`` path.

    Exactly one kind of test is set by the loader: ``equals``, ``one_of``, a
    number range (``at_least`` and/or ``at_most``), or ``some`` (the answer is
    a list and some item meets every condition in it: a need that applies and
    is domestic abuse).
    """

    field: str
    equals: Any = None
    one_of: tuple[Any, ...] | None = None
    at_least: int | None = None
    at_most: int | None = None
    some: tuple[Condition, ...] = ()

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """Whether the answers set this trigger off (a missing answer never does)."""
        value = value_at(answers, self.field)
        if value is None:
            return False
        if self.some:
            items = value if isinstance(value, list) else []
            return any(
                isinstance(item, dict) and all(c.holds(item) for c in self.some) for item in items
            )
        if self.one_of is not None:
            return value in self.one_of
        if self.at_least is not None or self.at_most is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            low_ok = self.at_least is None or value >= self.at_least
            return low_ok and (self.at_most is None or value <= self.at_most)
        return bool(value == self.equals)


@dataclass(frozen=True)
class Alert:
    """A warning page (never a block) shown after the page ``after`` when any trigger holds.

    ``start`` names a form the page offers to start for this family, prefilled
    (a request for service when a worker needs more help); ``body`` may name
    configured contacts as a stop does.
    """

    id: str
    after: str
    title: str
    body: tuple[str, ...]
    when: tuple[Trigger, ...]
    start: str | None = None
    start_label: str | None = None

    def raised(self, answers: Mapping[str, Any]) -> bool:
        """Whether any trigger holds for ``answers``."""
        return any(trigger.holds(answers) for trigger in self.when)


@dataclass(frozen=True)
class DateRule:
    """Bounds on a date answer, relative to today."""

    not_future: bool = False
    future_only: bool = False
    max_years_ago: int | None = None
    max_days_ahead: int | None = None


@dataclass(frozen=True)
class ItemRule:
    """A rule over the items of a repeating group (for example one lead child).

    Each kind is a subclass that sets how many items may match: the count of
    items whose ``field`` is one of ``one_of`` must lie in
    ``[min_count, max_count]`` (``None``: no upper bound), which is also how a
    JSON Schema ``contains`` with ``minContains``/``maxContains`` states it.
    """

    kind: ClassVar[str]
    min_count: ClassVar[int]
    max_count: ClassVar[int | None]

    field: str
    one_of: tuple[str, ...]
    message: str

    def holds(self, items: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the number of matching ``items`` is allowed."""
        count = sum(1 for item in items if item.get(self.field) in self.one_of)
        return count >= self.min_count and (self.max_count is None or count <= self.max_count)


@dataclass(frozen=True)
class ExactlyOneRule(ItemRule):
    """Exactly one item matches (one lead child)."""

    kind = "exactly_one"
    min_count = 1
    max_count = 1


@dataclass(frozen=True)
class AtLeastOneRule(ItemRule):
    """At least one item matches (someone with parental responsibility)."""

    kind = "at_least_one"
    min_count = 1
    max_count = None


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
    #: ``must_be`` is waived when every one of these holds on the whole form's answers
    #: (dotted paths): consent to a confirmed safeguarding concern, with a lawful basis.
    must_be_unless: tuple[Condition, ...] = ()
    stop: Stop | None = None
    advice: Advice | None = None
    date: DateRule | None = None
    fields: tuple[Field, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    item_label: str | None = None
    item_plural: str | None = None
    summary: tuple[str, ...] = ()
    item_rules: tuple[ItemRule, ...] = ()
    #: Fields of a repeating group's items no two items may answer alike (one NHS
    #: number per person in a household): blank answers are not compared.
    unique: tuple[str, ...] = ()
    count_hints: tuple[CountHint, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    #: A choice whose options also come from other answers (see ``fieldtypes/answer_options``).
    options_from_answers: tuple[AnswerOptions, ...] = ()
    #: A yes/no whose "yes" the practitioner's record shows beside the item's heading.
    record_marker: str | None = None
    #: Files (``type: attachments``): how many, how large each, and which kinds.
    max_files: int | None = None
    max_bytes: int | None = None
    accept: tuple[str, ...] = ()
    messages: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    #: Its words are printed in the family's own copy of the plan ("Our Family Plan"):
    #: the page says so in its hint, and the answer may use no glossary abbreviation.
    family_facing: bool = False
    #: The family's or the child's own words, kept exactly as said: printed in the
    #: plan like any family-facing answer, but never checked for abbreviations.
    own_words: bool = False
    #: The abbreviations this answer may not use (set by the ``Registry`` on every
    #: family-facing field that is not ``own_words``; None: nothing to check).
    glossary: Glossary | None = None

    @property
    def checks_words(self) -> bool:
        """Whether an answer is refused when it uses a glossary abbreviation."""
        return self.glossary is not None and bool(self.glossary.terms)

    @property
    def noun(self) -> str:
        """How error messages name this field, e.g. ``"your job title"``.

        The "(optional)" a label may end with is for the page only: a message
        is shown because an answer was given, so GOV.UK says it never repeats
        the marker ("Enter family email address in the correct format").
        """
        words = _OPTIONAL_MARK.sub("", self.error_name or self.label).rstrip("?")
        return words if self.error_name else words[:1].lower() + words[1:]

    @property
    def a_item(self) -> str:
        """The item label with its article: "a need", "an agreement"."""
        return with_article(self.item_label or "item")

    def count_items(self, count: int) -> str:
        """ "1 need", "2 needs", "3 people": the schema may give the plural."""
        return f"{count} {self.item_label or 'item' if count == 1 else self.items_plural}"

    @property
    def items_plural(self) -> str:
        """The plural of the item label: ``item_plural``, else the English rule."""
        return self.item_plural or plural(self.item_label or "item")

    def option_label(self, value: Any) -> str:
        """The label shown for a stored option value (the value if unknown)."""
        for option in self.options:
            if option.value == value:
                return option.label
        return str(value)

    def option_tag(self, value: Any) -> str | None:
        """The print colour of a stored option value (None: printed as plain words)."""
        return next((o.tag for o in self.options if o.value == value), None)

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

    One subclass per ``kind``; paths use dots for groups. ``broken`` gives a
    message for each way the answers break the rule; ``error_path`` is the
    answer the user should correct; ``problems`` cross-checks the paths
    against the form's fields when the schema file is loaded.
    """

    kind: ClassVar[str]

    message: str

    def paths(self) -> dict[str, str]:
        """The dotted paths this rule names, by attribute."""
        raise NotImplementedError

    @property
    def error_path(self) -> str:
        """The answer an error is shown against: the first path the rule names,
        unless a rule says otherwise."""
        return next(iter(self.paths().values()))

    def broken(
        self, form: FormDefinition, answers: Mapping[str, Any], calendar: WorkingCalendar
    ) -> list[str]:
        """Messages for each way ``answers`` break this rule (empty when it holds)."""
        raise NotImplementedError

    def problems(self, fields: tuple[Field, ...]) -> list[str]:
        """Why this rule does not fit a form with these top-level ``fields``."""
        return [
            f"{attr} '{path}' is not a field of this form"
            for attr, path in self.paths().items()
            if resolve(fields, path) is None
        ]


@dataclass(frozen=True)
class CoversRule(FormRule):
    """Every item of ``items`` (only those matching ``where``, if given) has an
    item in ``by`` whose ``by_key`` equals its ``key``: each need that applies
    has an action in the plan. ``{label}`` in the message names the item."""

    kind = "covers"

    items: str
    key: str
    by: str
    by_key: str
    where: Condition | None = None

    def paths(self) -> dict[str, str]:
        return {"items": self.items, "by": self.by}

    @property
    def error_path(self) -> str:
        return self.by

    def broken(
        self, form: FormDefinition, answers: Mapping[str, Any], calendar: WorkingCalendar
    ) -> list[str]:
        covering = {item.get(self.by_key) for item in value_at(answers, self.by) or []}
        group = resolve(tuple(form.fields), self.items)
        key_field = group.child(self.key) if group else None
        messages = []
        for item in value_at(answers, self.items) or []:
            if self.where is not None and not self.where.holds(item):
                continue
            value = item.get(self.key)
            if value not in covering:
                label = key_field.option_label(value) if key_field else str(value)
                messages.append(self.message.replace("{label}", label))
        return messages

    def problems(self, fields: tuple[Field, ...]) -> list[str]:
        problems = super().problems(fields)
        for group, key in (
            (resolve(fields, self.items), self.key),
            (resolve(fields, self.by), self.by_key),
        ):
            if group is not None and all(f.name != key for f in group.fields):
                problems.append(f"'{key}' is not a field of '{group.name}'")
        return problems


@dataclass(frozen=True)
class DateWithinRule(FormRule):
    """The date at ``field`` is on or after the date at ``after`` and at most
    ``max_days`` later (working days, if ``working_days``)."""

    kind = "date_within"

    field: str
    after: str
    max_days: int
    working_days: bool = False

    def paths(self) -> dict[str, str]:
        return {"field": self.field, "after": self.after}

    def broken(
        self, form: FormDefinition, answers: Mapping[str, Any], calendar: WorkingCalendar
    ) -> list[str]:
        later = as_date(value_at(answers, self.field))
        earlier = as_date(value_at(answers, self.after))
        if later is None or earlier is None:
            return []
        if self.working_days:
            too_late = later > calendar.add_working_days(earlier, self.max_days)
        else:
            too_late = (later - earlier).days > self.max_days
        return [self.message] if later < earlier or too_late else []


def age_in_years(born: dt.date, today: dt.date) -> int:
    """Whole years from ``born`` to ``today`` (a birthday counts on the day)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class RequiredFromAgeRule(FormRule):
    """``field`` must be answered unless the person in ``household`` matching
    ``lead`` (the lead child) is younger than ``years`` on the day it is sent:
    a baby cannot say what they think (Southend's EHFSA guidance: views are
    optional under 3). Without a known date of birth it must be answered, so
    the rule never drops a child's voice by accident."""

    kind = "required_from_age"

    field: str
    household: str
    lead: Condition
    years: int

    def paths(self) -> dict[str, str]:
        return {"field": self.field, "household": self.household}

    def broken(
        self, form: FormDefinition, answers: Mapping[str, Any], calendar: WorkingCalendar
    ) -> list[str]:
        if not _blank(value_at(answers, self.field)):
            return []
        people = value_at(answers, self.household) or []
        lead = next((p for p in people if isinstance(p, dict) and self.lead.holds(p)), None)
        born = as_date(lead.get("date_of_birth")) if lead else None
        young = born is not None and age_in_years(born, dt.date.today()) < self.years
        return [] if young else [self.message]

    def problems(self, fields: tuple[Field, ...]) -> list[str]:
        return super().problems(fields) + _not_item_fields(
            fields, self.household, (self.lead.field, "date_of_birth")
        )


@dataclass(frozen=True)
class RequiredWithoutRule(FormRule):
    """``field`` must be answered when ``without`` is left blank: the reason a
    young child's views are not recorded."""

    kind = "required_without"

    field: str
    without: str

    def paths(self) -> dict[str, str]:
        return {"field": self.field, "without": self.without}

    def broken(
        self, form: FormDefinition, answers: Mapping[str, Any], calendar: WorkingCalendar
    ) -> list[str]:
        missing = _blank(value_at(answers, self.without)) and _blank(value_at(answers, self.field))
        return [self.message] if missing else []


def _not_item_fields(
    fields: tuple[Field, ...], group_path: str, names: tuple[str, ...]
) -> list[str]:
    """A rule's problem for each of ``names`` that is not a field of the items of
    the repeating group at ``group_path`` (nothing when there is no such group:
    ``FormRule.problems`` says so)."""
    group = resolve(fields, group_path)
    if group is None:
        return []
    known = {f.name for f in group.fields}
    return [f"'{name}' is not a field of '{group.name}'" for name in names if name not in known]


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class DatedBeforeRule(FormRule):
    """Items of ``items`` (those ``where`` holds for) whose ``date`` is before
    the date at ``before``: one message naming them all by their ``label``
    answer (``{labels}``), so a worker sees every out-of-date action at once
    (a carried-forward action due before this meeting needs a new date)."""

    kind = "dated_before"

    items: str
    date: str
    before: str
    label: str
    where: Condition | None = None

    #: How much of each item's label the message quotes.
    LABEL_CHARS: ClassVar[int] = 80

    def paths(self) -> dict[str, str]:
        return {"items": self.items, "before": self.before}

    def broken(
        self, form: FormDefinition, answers: Mapping[str, Any], calendar: WorkingCalendar
    ) -> list[str]:
        limit = as_date(value_at(answers, self.before))
        found = value_at(answers, self.items)
        if limit is None or not isinstance(found, list):
            return []
        labels = [
            self._label(item)
            for item in found
            if isinstance(item, Mapping)
            and (self.where is None or self.where.holds(dict(item)))
            and (due := as_date(item.get(self.date))) is not None
            and due < limit
        ]
        return [self.message.replace("{labels}", "; ".join(labels))] if labels else []

    def _label(self, item: Mapping[str, Any]) -> str:
        text = " ".join(str(item.get(self.label) or "").split())
        if len(text) > self.LABEL_CHARS:
            text = text[: self.LABEL_CHARS - 1].rstrip() + "…"
        return f"“{text}”"

    def problems(self, fields: tuple[Field, ...]) -> list[str]:
        return super().problems(fields) + _not_item_fields(
            fields, self.items, (self.date, self.label)
        )


@dataclass(frozen=True)
class Computed:
    """A value worked out from answers, never typed; one subclass per ``kind``."""

    kind: ClassVar[str]

    name: str
    label: str
    field: str

    def value(self, answers: Mapping[str, Any], calendar: WorkingCalendar) -> dt.date | None:
        """The value for ``answers``, or None when it cannot be worked out yet."""
        raise NotImplementedError


@dataclass(frozen=True)
class WorkingDaysAfter(Computed):
    """The date ``days`` working days after the date at ``field``."""

    kind = "working_days_after"

    days: int

    def value(self, answers: Mapping[str, Any], calendar: WorkingCalendar) -> dt.date | None:
        start = as_date(value_at(answers, self.field))
        return None if start is None else calendar.add_working_days(start, self.days)


#: ``{first_name}`` in a prefill template: the answer of that name in the source item.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def placeholders(template: str) -> list[str]:
    """The answer names a prefill template uses (``"{first_name} {last_name}"``)."""
    return PLACEHOLDER.findall(template)


def fill(template: str, item: Mapping[str, Any]) -> str:
    """``template`` with each ``{name}`` replaced by that answer ("" when unanswered).

    Plain substitution, never ``str.format``: a template cannot reach attributes,
    and an answer containing braces is copied as typed.
    """
    return PLACEHOLDER.sub(lambda m: _as_text(item.get(m.group(1))), template).strip()


def _as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class Copy:
    """One prefill step: copy ``source`` of an earlier submission into ``target``.

    Each step is data, so a joint between two forms needs no Python:

    - ``fields`` maps target item names to source item names, or to a
      template such as ``"{first_name} {last_name}"`` built from the item;
    - ``set`` gives every copied item constant answers (``last_status: new``);
    - ``where`` copies only the list items it holds for;
    - ``format`` turns the source (a group, or each item of a list, joined by
      a blank line) into one text answer: a list received by a long text box;
    - ``into`` makes a text source the one answer of a new item of a list;
    - ``value`` puts a constant in ``target`` when ``source`` has an answer
      (``early_help_in_place: yes`` because there is a reference).
    """

    target: str
    source: str
    where: Condition | None = None
    fields: tuple[tuple[str, str], ...] = ()
    set: tuple[tuple[str, Any], ...] = ()
    format: str | None = None
    into: str | None = None
    value: Any = None


#: What starting one form from another may mean besides the next step in order.
PREFILL_PURPOSES = ("step_up",)


@dataclass(frozen=True)
class Prefill:
    """How to start this form from an earlier submission of ``form``."""

    form: str
    copies: tuple[Copy, ...]
    #: ``step_up``: starting this form from that one asks for more help (the family
    #: page shows it apart from the usual next step).
    purpose: str | None = None


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
    #: The referrer's organisation's name and work email (acknowledgement and outcome).
    organisation: str | None = None
    referrer_email: str | None = None
    #: A referral confirming a phoned Level 4 concern: top of the inbox, 24 clock hours.
    urgent: Condition | None = None
    #: The answers record that the family withdrew consent (a review), and the dotted
    #: path of the date they did: from then on no documents go to partners by email.
    consent_withdrawn: Condition | None = None
    consent_withdrawn_on: str | None = None


@dataclass(frozen=True)
class Outcome:
    """One outcome a duty worker may record for a referral of this form.

    ``onward`` names where the documents then go (a key of the deployment's
    ``FORMS_ONWARD_ADDRESSES``), ``allocates`` says a lead professional is
    allocated next, and ``referrer_text`` is what the referrer is told, in
    plain words and with no family names. ``without_consent`` marks the
    safeguarding route (children's social care), which UK GDPR Article 6(1)(e)
    with the Children Act 1989 duties allows without the family's consent, so
    it still goes after a family has withdrawn consent to early help.
    """

    id: str
    label: str
    referrer_text: str
    onward: str | None = None
    allocates: bool = False
    without_consent: bool = False


#: What a form's due date counts from: the family's allocation, or its latest plan.
DUE_AFTER = ("allocation", "plan")


@dataclass(frozen=True)
class Due:
    """When this form falls due for a family: ``after`` allocation (the Family
    Story) or after the family's latest ``plan`` (a review).

    Target and limit are counted in working days or in calendar weeks.
    """

    after: str
    working_days: int | None = None
    latest_working_days: int | None = None
    weeks: int | None = None
    latest_weeks: int | None = None


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
    alerts: tuple[Alert, ...] = ()
    access: str = "staff"
    record: RecordKeys = field(default_factory=RecordKeys)
    outcomes: tuple[Outcome, ...] = ()
    due: Due | None = None
    source: str = ""
    #: The working days its rules and computed dates count in: the deployment's
    #: (bank holidays and configured closures), set by the ``Registry``.
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar, compare=False, repr=False)

    @property
    def in_sentence(self) -> str:
        """The short title inside a sentence: "request for service" in sentence
        case, but "Early Help request" or "Team Around the Child and Family
        review" keep the capitals of their names."""
        head, _, rest = self.short_title.partition(" ")
        if any(word[:1].isupper() for word in rest.split()):
            return self.short_title
        return head[:1].lower() + head[1:] + (f" {rest}" if rest else "")

    @property
    def a_title(self) -> str:
        """The short title with its article: "an Early Help request"."""
        return with_article(self.in_sentence)

    @property
    def open_to_anyone(self) -> bool:
        """A referral form: no account needed to fill it in."""
        return self.access == "anyone"

    def outcome(self, outcome_id: str) -> Outcome | None:
        """The outcome ``outcome_id`` of this form, if it has one by that id."""
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    def prefill_from(self, form_id: str) -> Prefill | None:
        """How to prefill this form from a submission of ``form_id``, if allowed."""
        for prefill in self.prefill:
            if prefill.form == form_id:
                return prefill
        return None

    def alerts_after(self, page_id: str, answers: Mapping[str, Any]) -> tuple[Alert, ...]:
        """The alerts raised by ``answers`` that show after the page ``page_id``."""
        return tuple(a for a in self.alerts if a.after == page_id and a.raised(answers))

    def alert(self, alert_id: str) -> Alert | None:
        """The alert called ``alert_id``, if this form has one."""
        return next((a for a in self.alerts if a.id == alert_id), None)

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
