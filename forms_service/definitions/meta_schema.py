"""The marshmallow schema that every file in ``form_schemas/`` must satisfy.

It checks the shape of a definition (keys, types, allowed values) after blocks
have been spliced in, and builds the frozen dataclasses of ``model.py`` as it
loads (``post_load``), so each attribute is declared twice, here and there,
and nowhere else; the loader then cross-checks names and references. An
unknown key is an error, so a typo in a schema file is caught at load time
rather than silently ignored.

Rules and computed values have a ``kind``; each kind has its own schema and
class, picked by :class:`OneOfKind`, so a rule holds only the keys its kind uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, post_load, validate, validates_schema
from marshmallow import fields as mf

from ..attachments.kinds import KINDS
from ..fieldtypes import type_names
from .model import (
    ACCESS_LEVELS,
    DUE_AFTER,
    PREFILL_PURPOSES,
    TAG_COLOURS,
    Advice,
    Alert,
    AnswerOptions,
    AtLeastOneRule,
    Condition,
    Copy,
    CountHint,
    CoversRule,
    DatedBeforeRule,
    DateRule,
    DateWithinRule,
    Documents,
    Due,
    ExactlyOneRule,
    Field,
    FormDefinition,
    Option,
    Outcome,
    Page,
    Prefill,
    RecordKeys,
    RequiredFromAgeRule,
    RequiredWithoutRule,
    Stop,
    Trigger,
    WorkingDaysAfter,
)

NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,62}$", error="must be snake_case, like first_name")
PAGE_ID = validate.Regexp(r"^[a-z][a-z0-9-]{0,62}$", error="must be lower-case-with-hyphens")
PATH = validate.Regexp(r"^_?[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", error="must be a dotted path")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Builds(_Strict):
    """A schema whose ``load`` returns its ``__model__`` dataclass, not a dict.

    Its field names (or ``attribute=``) are the dataclass's, and keys left out
    of the file take the dataclass's defaults.
    """

    __model__: ClassVar[type[Any]]

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        return self.__model__(**data)


# marshmallow types List and Dict as loading a list and a dict; these two load
# tuples instead (hence the ignores), keeping List's and Dict's error messages.


class FrozenList(mf.List):
    """A YAML list loaded as a tuple: the dataclasses are frozen all the way down."""

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> tuple[Any, ...]:
        return tuple(super()._deserialize(value, attr, data, **kwargs))


class Pairs(mf.Dict):
    """A YAML mapping loaded as a tuple of ``(key, value)`` pairs, in file order."""

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> tuple[tuple[Any, Any], ...]:
        return tuple(super()._deserialize(value, attr, data, **kwargs).items())


class OneOfKind(mf.Field):
    """A mapping whose ``kind`` picks the schema that loads it: a registry keyed
    by each model class's ``kind``, so a kind is named once, on its class."""

    def __init__(self, *schemas: type[_Builds], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schemas: Mapping[str, type[_Builds]] = {s.__model__.kind: s for s in schemas}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("Invalid input type.")
        if "kind" not in value:
            raise ValidationError({"kind": ["Missing data for required field."]})
        kind = value["kind"]
        schema = self.schemas.get(kind) if isinstance(kind, str) else None
        if schema is None:
            raise ValidationError({"kind": [f"Must be one of: {', '.join(self.schemas)}."]})
        return schema().load({k: v for k, v in value.items() if k != "kind"})


class OptionSchema(_Builds):
    __model__ = Option
    value = mf.String(required=True, validate=validate.Length(min=1, max=60))
    label = mf.String(required=True, validate=validate.Length(min=1))
    hint = mf.String()
    tag = mf.String(validate=validate.OneOf(TAG_COLOURS))


class AnswerOptionsSchema(_Builds):
    __model__ = AnswerOptions
    source = mf.String(required=True, validate=NAME, data_key="list")
    label = mf.String(required=True, validate=validate.Regexp(r"\{[a-z][a-z0-9_]*\}"))
    optional = mf.Boolean()


class ConditionSchema(_Builds):
    __model__ = Condition
    field = mf.String(required=True, validate=NAME)
    equals = mf.Raw(allow_none=True)
    one_of = FrozenList(mf.Raw(allow_none=True), validate=validate.Length(min=1))
    includes = mf.String()
    includes_any = FrozenList(mf.String(), validate=validate.Length(min=1))

    @validates_schema
    def _one_test(self, data: dict[str, Any], **_: Any) -> None:
        tests = [key for key in ("equals", "one_of", "includes", "includes_any") if key in data]
        if len(tests) != 1:
            raise ValidationError("give exactly one of equals, one_of, includes, includes_any")


class PathConditionSchema(ConditionSchema):
    """A condition on any answer of the form, named by its dotted path."""

    field = mf.String(required=True, validate=PATH)


class StopSchema(_Builds):
    __model__ = Stop
    when = mf.Raw(required=True)
    title = mf.String(required=True)
    body = FrozenList(mf.String(), required=True, validate=validate.Length(min=1))
    unless = mf.Nested(ConditionSchema)


class AdviceSchema(_Builds):
    __model__ = Advice
    when = mf.Raw(required=True)
    title = mf.String(required=True)
    body = FrozenList(mf.String(), required=True, validate=validate.Length(min=1))


class DateRuleSchema(_Builds):
    __model__ = DateRule
    not_future = mf.Boolean()
    future_only = mf.Boolean()
    max_years_ago = mf.Integer(validate=validate.Range(min=1, max=150))
    max_days_ahead = mf.Integer(validate=validate.Range(min=1, max=3650))


class _ItemRuleSchema(_Builds):
    field = mf.String(required=True, validate=NAME)
    one_of = FrozenList(mf.String(), required=True, validate=validate.Length(min=1))
    message = mf.String(required=True)


class ExactlyOneSchema(_ItemRuleSchema):
    __model__ = ExactlyOneRule


class AtLeastOneSchema(_ItemRuleSchema):
    __model__ = AtLeastOneRule


class CountHintSchema(_Builds):
    __model__ = CountHint
    where = mf.Nested(ConditionSchema)
    min = mf.Integer(load_default=0, validate=validate.Range(min=0))
    max = mf.Integer(load_default=None, validate=validate.Range(min=0))
    text = mf.String(required=True)


class FieldSchema(_Builds):
    __model__ = Field
    name = mf.String(required=True, validate=NAME)
    type = mf.String(required=True, validate=validate.OneOf(sorted(type_names())))
    label = mf.String(required=True, validate=validate.Length(min=1, max=300))
    hint = mf.String()
    required = mf.Boolean()
    error_name = mf.String()
    max_length = mf.Integer(validate=validate.Range(min=1, max=20000))
    min_length = mf.Integer(validate=validate.Range(min=0, max=20000))
    options = FrozenList(mf.Nested(OptionSchema))
    show_if = mf.Nested(ConditionSchema)
    must_be = mf.Raw()
    must_be_message = mf.String()
    must_be_unless = FrozenList(mf.Nested(PathConditionSchema), validate=validate.Length(min=1))
    stop = mf.Nested(StopSchema)
    advice = mf.Nested(AdviceSchema)
    date = mf.Nested(DateRuleSchema)
    # "fields" would shadow Schema.fields, hence the data_key/attribute pair.
    children = FrozenList(mf.Nested(lambda: FieldSchema()), data_key="fields", attribute="fields")
    min_items = mf.Integer(validate=validate.Range(min=0, max=100))
    max_items = mf.Integer(validate=validate.Range(min=1, max=100))
    item_label = mf.String()
    item_plural = mf.String()
    summary = FrozenList(mf.String(validate=NAME))
    item_rules = FrozenList(OneOfKind(ExactlyOneSchema, AtLeastOneSchema))
    unique = FrozenList(mf.String(validate=NAME))
    count_hints = FrozenList(mf.Nested(CountHintSchema))
    minimum = mf.Integer()
    maximum = mf.Integer()
    options_from_answers = FrozenList(
        mf.Nested(AnswerOptionsSchema), validate=validate.Length(min=1)
    )
    record_marker = mf.String(validate=validate.Length(min=1, max=80))
    max_files = mf.Integer(validate=validate.Range(min=1, max=10))
    max_bytes = mf.Integer(validate=validate.Range(min=1, max=10 * 1024 * 1024))
    accept = FrozenList(mf.String(validate=validate.OneOf(sorted(KINDS))))
    messages = mf.Dict(keys=mf.String(), values=mf.String())
    family_facing = mf.Boolean()
    own_words = mf.Boolean()

    @validates_schema
    def _family_facing(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("own_words") and not data.get("family_facing"):
            raise ValidationError("own_words needs family_facing: true as well", "own_words")
        if data.get("family_facing") and data.get("type") in {"group", "repeating"}:
            raise ValidationError(
                "mark the questions inside a group as family_facing, not the group",
                "family_facing",
            )

    @validates_schema
    def _type_specific(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("type")
        if kind in {"choice", "multi_choice"} and not data.get("options"):
            if kind == "multi_choice" or not data.get("options_from_answers"):
                raise ValidationError("a choice field needs options", "options")
        if "options_from_answers" in data and kind != "choice":
            raise ValidationError(
                "only a choice draws options from answers", "options_from_answers"
            )
        if "record_marker" in data and kind != "yes_no":
            raise ValidationError("only a yes/no field marks a record", "record_marker")
        if kind in {"group", "repeating"} and not data.get("fields"):
            raise ValidationError("a group needs fields", "fields")
        if kind not in {"group", "repeating"} and "fields" in data:
            raise ValidationError("only group and repeating fields hold fields", "fields")
        if kind == "number" and ("minimum" not in data or "maximum" not in data):
            raise ValidationError("a number field needs minimum and maximum", "maximum")
        if kind == "attachments" and not (
            data.get("max_files") and data.get("max_bytes") and data.get("accept")
        ):
            raise ValidationError("an attachments field needs max_files, max_bytes and accept")
        if kind == "repeating" and not data.get("item_label"):
            raise ValidationError("a repeating group needs an item_label", "item_label")


class PageSchema(_Builds):
    __model__ = Page
    id = mf.String(required=True, validate=PAGE_ID)
    title = mf.String(required=True)
    intro = FrozenList(mf.String())
    show_if = mf.Nested(ConditionSchema)
    children = FrozenList(
        mf.Nested(FieldSchema),
        required=True,
        validate=validate.Length(min=1),
        data_key="fields",
        attribute="fields",
    )


class DocumentsSchema(_Builds):
    __model__ = Documents
    pdf = mf.String(required=True)
    docx = mf.String(required=True)


class CoversSchema(_Builds):
    __model__ = CoversRule
    message = mf.String(required=True)
    items = mf.String(required=True, validate=PATH)
    where = mf.Nested(ConditionSchema)
    key = mf.String(required=True, validate=NAME)
    by = mf.String(required=True, validate=PATH)
    by_key = mf.String(required=True, validate=NAME)


class DateWithinSchema(_Builds):
    __model__ = DateWithinRule
    message = mf.String(required=True)
    field = mf.String(required=True, validate=PATH)
    after = mf.String(required=True, validate=PATH)
    max_days = mf.Integer(required=True, validate=validate.Range(min=0))
    working_days = mf.Boolean()


class DatedBeforeSchema(_Builds):
    __model__ = DatedBeforeRule
    message = mf.String(required=True)
    items = mf.String(required=True, validate=PATH)
    date = mf.String(required=True, validate=NAME)
    before = mf.String(required=True, validate=PATH)
    label = mf.String(required=True, validate=NAME)
    where = mf.Nested(ConditionSchema)


class RequiredFromAgeSchema(_Builds):
    __model__ = RequiredFromAgeRule
    message = mf.String(required=True)
    field = mf.String(required=True, validate=PATH)
    household = mf.String(required=True, validate=PATH)
    lead = mf.Nested(ConditionSchema, required=True)
    years = mf.Integer(required=True, validate=validate.Range(min=1, max=25))


class RequiredWithoutSchema(_Builds):
    __model__ = RequiredWithoutRule
    message = mf.String(required=True)
    field = mf.String(required=True, validate=PATH)
    without = mf.String(required=True, validate=PATH)


#: Every kind of form rule (``rules:`` refuse, ``warnings:`` advise).
FORM_RULES = (
    CoversSchema,
    DateWithinSchema,
    DatedBeforeSchema,
    RequiredFromAgeSchema,
    RequiredWithoutSchema,
)


class WorkingDaysAfterSchema(_Builds):
    __model__ = WorkingDaysAfter
    name = mf.String(required=True, validate=NAME)
    label = mf.String(required=True)
    field = mf.String(required=True, validate=PATH)
    days = mf.Integer(required=True, validate=validate.Range(min=1, max=365))


#: A prefill template: text with at least one ``{answer_name}`` in it.
TEMPLATE = validate.Regexp(
    r"^[^{}]*(\{[a-z][a-z0-9_]*\}[^{}]*)+$", error="must name answers like {{first_name}}"
)


def name_or_template(value: str) -> None:
    """A source item's answer name, or a template built from its answers."""
    (TEMPLATE if "{" in value or "}" in value else NAME)(value)


class CopySchema(_Builds):
    __model__ = Copy
    to = mf.String(required=True, validate=PATH, attribute="target")
    source = mf.String(required=True, validate=PATH, data_key="from")
    where = mf.Nested(ConditionSchema)
    fields_map = Pairs(
        keys=mf.String(validate=NAME),
        values=mf.String(validate=name_or_template),
        data_key="fields",
        attribute="fields",
    )
    set = Pairs(keys=mf.String(validate=NAME), values=mf.Raw())
    format = mf.String(validate=TEMPLATE)
    into = mf.String(validate=NAME)
    value = mf.Raw()

    @validates_schema
    def _one_shape(self, data: dict[str, Any], **_: Any) -> None:
        shapes = [key for key in ("fields", "format", "into", "value") if key in data]
        if len(shapes) > 1:
            raise ValidationError(f"give at most one of fields, format, into, value: {shapes}")
        if "value" in data and data["value"] is None:
            raise ValidationError("value must not be null")


class PrefillSchema(_Builds):
    __model__ = Prefill
    form = mf.String(required=True, validate=PAGE_ID)
    purpose = mf.String(validate=validate.OneOf(PREFILL_PURPOSES))
    copy = FrozenList(
        mf.Nested(CopySchema), required=True, validate=validate.Length(min=1), attribute="copies"
    )


class TriggerSchema(_Builds):
    __model__ = Trigger
    field = mf.String(required=True, validate=PATH)
    equals = mf.Raw(allow_none=True)
    one_of = FrozenList(mf.Raw(), validate=validate.Length(min=1))
    at_least = mf.Integer()
    at_most = mf.Integer()
    some = FrozenList(mf.Nested(ConditionSchema), validate=validate.Length(min=1))

    @validates_schema
    def _one_test(self, data: dict[str, Any], **_: Any) -> None:
        tests: list[str] = [k for k in ("equals", "one_of", "some") if k in data]
        if "at_least" in data or "at_most" in data:
            tests.append("at_least/at_most")
        if len(tests) != 1:
            raise ValidationError("give exactly one of equals, one_of, some, at_least/at_most")


class AlertSchema(_Builds):
    __model__ = Alert
    id = mf.String(required=True, validate=PAGE_ID)
    after = mf.String(required=True, validate=PAGE_ID)
    title = mf.String(required=True)
    body = FrozenList(mf.String(), required=True, validate=validate.Length(min=1))
    when = FrozenList(mf.Nested(TriggerSchema), required=True, validate=validate.Length(min=1))
    start = mf.String(validate=PAGE_ID)
    start_label = mf.String(validate=validate.Length(min=1, max=120))


class RecordKeysSchema(_Builds):
    __model__ = RecordKeys
    household = mf.String(validate=PATH)
    lead = mf.Nested(ConditionSchema)
    postcode = mf.String(validate=PATH)
    organisation_type = mf.String(validate=PATH)
    closes_family = mf.Nested(ConditionSchema)
    organisation = mf.String(validate=PATH)
    referrer_email = mf.String(validate=PATH)
    urgent = mf.Nested(ConditionSchema)
    consent_withdrawn = mf.Nested(ConditionSchema)
    consent_withdrawn_on = mf.String(validate=PATH)

    @validates_schema
    def _withdrawal_has_a_date(self, data: dict[str, Any], **_: Any) -> None:
        if ("consent_withdrawn" in data) != ("consent_withdrawn_on" in data):
            raise ValidationError("give consent_withdrawn and consent_withdrawn_on together")


class OutcomeSchema(_Builds):
    __model__ = Outcome
    id = mf.String(required=True, validate=NAME)
    label = mf.String(required=True, validate=validate.Length(min=1, max=120))
    referrer_text = mf.String(required=True, validate=validate.Length(min=1, max=600))
    onward = mf.String(validate=NAME)
    allocates = mf.Boolean()
    without_consent = mf.Boolean()


class DueSchema(_Builds):
    __model__ = Due
    after = mf.String(required=True, validate=validate.OneOf(DUE_AFTER))
    working_days = mf.Integer(validate=validate.Range(min=1, max=60))
    latest_working_days = mf.Integer(validate=validate.Range(min=1, max=60))
    weeks = mf.Integer(validate=validate.Range(min=1, max=52))
    latest_weeks = mf.Integer(validate=validate.Range(min=1, max=52))

    @validates_schema
    def _one_measure(self, data: dict[str, Any], **_: Any) -> None:
        if ("working_days" in data) == ("weeks" in data):
            raise ValidationError("give either working_days or weeks")


class FormSchema(_Builds):
    __model__ = FormDefinition
    id = mf.String(required=True, validate=PAGE_ID)
    version = mf.Integer(required=True, validate=validate.Range(min=1))
    title = mf.String(required=True)
    short_title = mf.String(required=True, validate=validate.Length(max=60))
    reference_prefix = mf.String(
        required=True, validate=validate.Regexp(r"^[A-Z]{2,4}$", error="must be 2-4 capitals")
    )
    description = FrozenList(mf.String(), load_default=())
    documents = mf.Nested(DocumentsSchema, required=True)
    family_plan = mf.Nested(DocumentsSchema)
    confirmation = FrozenList(mf.String())
    rules = FrozenList(OneOfKind(*FORM_RULES))
    warnings = FrozenList(OneOfKind(*FORM_RULES))
    computed = FrozenList(OneOfKind(WorkingDaysAfterSchema))
    prefill = FrozenList(mf.Nested(PrefillSchema))
    alerts = FrozenList(mf.Nested(AlertSchema))
    access = mf.String(validate=validate.OneOf(ACCESS_LEVELS))
    record = mf.Nested(RecordKeysSchema)
    outcomes = FrozenList(mf.Nested(OutcomeSchema))
    due = mf.Nested(DueSchema)
    pages = FrozenList(mf.Nested(PageSchema), required=True, validate=validate.Length(min=1))


#: An abbreviation as people write it: capitals first, then capitals, digits, a
#: hyphen or a lower-case letter ("C-SPOC", "SENCo").
ABBREVIATION = validate.Regexp(
    r"^[A-Z][A-Za-z0-9-]{0,19}$", error="must be an abbreviation, like TAF or C-SPOC"
)


class GlossarySchema(_Strict):
    """``form_schemas/glossary.yaml``: abbreviation → the words to use instead."""

    terms = Pairs(
        keys=mf.String(validate=ABBREVIATION),
        values=mf.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=1),
    )


class BlockSchema(_Strict):
    block = mf.String(required=True, validate=NAME)
    children = mf.List(
        mf.Raw(),
        required=True,
        validate=validate.Length(min=1),
        data_key="fields",
        attribute="fields",
    )


class ProgrammeSchema(_Strict):
    """``data/programme.yaml``: the national programme the forms name (one place)."""

    name = mf.String(required=True, validate=validate.Length(min=1, max=120))
    since = mf.String(required=True)
    source = mf.String(required=True, validate=validate.Length(min=1))
    eligibility = mf.String(required=True, validate=validate.Length(min=1))
    headlines = mf.List(mf.Dict(), required=True, validate=validate.Length(min=1))
