"""The marshmallow schema that every file in ``form_schemas/`` must satisfy.

It checks the shape of a definition (keys, types, allowed values) after blocks
have been spliced in; the loader then cross-checks names and references. An
unknown key is an error, so a typo in a schema file is caught at load time
rather than silently ignored.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate, validates_schema
from marshmallow import fields as mf

from ..fieldtypes import type_names
from .model import ACCESS_LEVELS

NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,62}$", error="must be snake_case, like first_name")
PAGE_ID = validate.Regexp(r"^[a-z][a-z0-9-]{0,62}$", error="must be lower-case-with-hyphens")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OptionSchema(_Strict):
    value = mf.String(required=True, validate=validate.Length(min=1, max=60))
    label = mf.String(required=True, validate=validate.Length(min=1))
    hint = mf.String()


class ConditionSchema(_Strict):
    field = mf.String(required=True, validate=NAME)
    equals = mf.Raw(allow_none=True)
    one_of = mf.List(mf.Raw(), validate=validate.Length(min=1))
    includes = mf.String()

    @validates_schema
    def _one_test(self, data: dict[str, Any], **_: Any) -> None:
        tests = [key for key in ("equals", "one_of", "includes") if key in data]
        if len(tests) != 1:
            raise ValidationError("give exactly one of equals, one_of, includes")


class StopSchema(_Strict):
    when = mf.Raw(required=True)
    title = mf.String(required=True)
    body = mf.List(mf.String(), required=True, validate=validate.Length(min=1))


class DateRuleSchema(_Strict):
    not_future = mf.Boolean()
    future_only = mf.Boolean()
    max_years_ago = mf.Integer(validate=validate.Range(min=1, max=150))
    max_days_ahead = mf.Integer(validate=validate.Range(min=1, max=3650))


class ItemRuleSchema(_Strict):
    kind = mf.String(required=True, validate=validate.OneOf(["exactly_one", "at_least_one"]))
    field = mf.String(required=True, validate=NAME)
    one_of = mf.List(mf.String(), required=True, validate=validate.Length(min=1))
    message = mf.String(required=True)


class CountHintSchema(_Strict):
    where = mf.Nested(ConditionSchema)
    min = mf.Integer(load_default=0, validate=validate.Range(min=0))
    max = mf.Integer(validate=validate.Range(min=0))
    text = mf.String(required=True)


class FieldSchema(_Strict):
    name = mf.String(required=True, validate=NAME)
    type = mf.String(required=True, validate=validate.OneOf(sorted(type_names())))
    label = mf.String(required=True, validate=validate.Length(min=1, max=300))
    hint = mf.String()
    required = mf.Boolean()
    error_name = mf.String()
    max_length = mf.Integer(validate=validate.Range(min=1, max=20000))
    min_length = mf.Integer(validate=validate.Range(min=0, max=20000))
    options = mf.List(mf.Nested(OptionSchema))
    show_if = mf.Nested(ConditionSchema)
    must_be = mf.Raw()
    must_be_message = mf.String()
    stop = mf.Nested(StopSchema)
    date = mf.Nested(DateRuleSchema)
    # "fields" would shadow Schema.fields, hence the data_key/attribute pair.
    children = mf.List(mf.Nested(lambda: FieldSchema()), data_key="fields", attribute="fields")
    min_items = mf.Integer(validate=validate.Range(min=0, max=100))
    max_items = mf.Integer(validate=validate.Range(min=1, max=100))
    item_label = mf.String()
    item_plural = mf.String()
    summary = mf.List(mf.String(validate=NAME))
    item_rules = mf.List(mf.Nested(ItemRuleSchema))
    count_hints = mf.List(mf.Nested(CountHintSchema))
    minimum = mf.Integer()
    maximum = mf.Integer()
    messages = mf.Dict(keys=mf.String(), values=mf.String())

    @validates_schema
    def _type_specific(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("type")
        if kind in {"choice", "multi_choice"} and not data.get("options"):
            raise ValidationError("a choice field needs options", "options")
        if kind in {"group", "repeating"} and not data.get("fields"):
            raise ValidationError("a group needs fields", "fields")
        if kind not in {"group", "repeating"} and "fields" in data:
            raise ValidationError("only group and repeating fields hold fields", "fields")
        if kind == "number" and ("minimum" not in data or "maximum" not in data):
            raise ValidationError("a number field needs minimum and maximum", "maximum")
        if kind == "repeating" and not data.get("item_label"):
            raise ValidationError("a repeating group needs an item_label", "item_label")


class PageSchema(_Strict):
    id = mf.String(required=True, validate=PAGE_ID)
    title = mf.String(required=True)
    intro = mf.List(mf.String())
    show_if = mf.Nested(ConditionSchema)
    children = mf.List(
        mf.Nested(FieldSchema),
        required=True,
        validate=validate.Length(min=1),
        data_key="fields",
        attribute="fields",
    )


class DocumentsSchema(_Strict):
    pdf = mf.String(required=True)
    docx = mf.String(required=True)


PATH = validate.Regexp(r"^_?[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", error="must be a dotted path")


class FormRuleSchema(_Strict):
    kind = mf.String(required=True, validate=validate.OneOf(["covers", "date_within"]))
    message = mf.String(required=True)
    items = mf.String(validate=PATH)
    where = mf.Nested(ConditionSchema)
    key = mf.String(validate=NAME)
    by = mf.String(validate=PATH)
    by_key = mf.String(validate=NAME)
    field = mf.String(validate=PATH)
    after = mf.String(validate=PATH)
    max_days = mf.Integer(validate=validate.Range(min=0))
    working_days = mf.Boolean()

    @validates_schema
    def _complete(self, data: dict[str, Any], **_: Any) -> None:
        needed = {
            "covers": ("items", "key", "by", "by_key"),
            "date_within": ("field", "after", "max_days"),
        }[data["kind"]]
        missing = [k for k in needed if k not in data]
        if missing:
            raise ValidationError(f"a {data['kind']} rule needs {', '.join(missing)}")


class ComputedSchema(_Strict):
    name = mf.String(required=True, validate=NAME)
    label = mf.String(required=True)
    kind = mf.String(required=True, validate=validate.OneOf(["working_days_after"]))
    field = mf.String(required=True, validate=PATH)
    days = mf.Integer(required=True, validate=validate.Range(min=1, max=365))


class CopySchema(_Strict):
    to = mf.String(required=True, validate=PATH)
    source = mf.String(required=True, validate=PATH, data_key="from")
    where = mf.Nested(ConditionSchema)
    fields_map = mf.Dict(
        keys=mf.String(validate=NAME), values=mf.String(validate=NAME), data_key="fields"
    )
    set = mf.Dict(keys=mf.String(validate=NAME), values=mf.Raw())


class PrefillSchema(_Strict):
    form = mf.String(required=True, validate=PAGE_ID)
    copy = mf.List(mf.Nested(CopySchema), required=True, validate=validate.Length(min=1))


class FamilyPlanSchema(_Strict):
    pdf = mf.String(required=True)
    docx = mf.String(required=True)


class RecordKeysSchema(_Strict):
    household = mf.String(validate=PATH)
    lead = mf.Nested(ConditionSchema)
    postcode = mf.String(validate=PATH)
    organisation_type = mf.String(validate=PATH)
    closes_family = mf.Nested(ConditionSchema)


class FormSchema(_Strict):
    id = mf.String(required=True, validate=PAGE_ID)
    version = mf.Integer(required=True, validate=validate.Range(min=1))
    title = mf.String(required=True)
    short_title = mf.String(required=True, validate=validate.Length(max=60))
    reference_prefix = mf.String(
        required=True, validate=validate.Regexp(r"^[A-Z]{2,4}$", error="must be 2-4 capitals")
    )
    description = mf.List(mf.String())
    documents = mf.Nested(DocumentsSchema, required=True)
    family_plan = mf.Nested(FamilyPlanSchema)
    confirmation = mf.List(mf.String())
    rules = mf.List(mf.Nested(FormRuleSchema))
    warnings = mf.List(mf.Nested(FormRuleSchema))
    computed = mf.List(mf.Nested(ComputedSchema))
    prefill = mf.List(mf.Nested(PrefillSchema))
    access = mf.String(validate=validate.OneOf(ACCESS_LEVELS))
    record = mf.Nested(RecordKeysSchema)
    pages = mf.List(mf.Nested(PageSchema), required=True, validate=validate.Length(min=1))


class BlockSchema(_Strict):
    block = mf.String(required=True, validate=NAME)
    children = mf.List(
        mf.Raw(),
        required=True,
        validate=validate.Length(min=1),
        data_key="fields",
        attribute="fields",
    )
