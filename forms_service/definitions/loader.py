"""Read a schema file into a ``FormDefinition``, or say exactly what is wrong.

Steps: parse YAML (safe loader only) → splice shared blocks (``- include: x``
reads ``blocks/x.yaml``) → validate the shape with the marshmallow meta-schema,
which builds the frozen dataclasses as it goes → cross-check names,
conditions and templates.
Every error names the file and the key path so a council officer editing a
schema can find the line.
"""

from __future__ import annotations

import copy as copying
import dataclasses
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from ..errors import WHOLE, flatten_errors
from .glossary import Glossary
from .meta_schema import BlockSchema, FormSchema, GlossarySchema, ProgrammeSchema
from .model import Field, FormDefinition, resolve

BLOCKS_DIR = "blocks"
#: The abbreviations family-facing answers may not use; a data file beside the
#: forms, not a form.
GLOSSARY_FILE = "glossary.yaml"
MAX_INCLUDE_DEPTH = 5


class SchemaError(Exception):
    """A schema file is invalid; the message names the file and the key."""


#: libyaml's parser when PyYAML was built with it (ten times faster), else Python's.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """``yaml.safe_load`` that refuses a key given twice in one mapping.

    Plain YAML keeps the last value, so a second ``prefill:`` added by one
    change silently dropped the first one's joints.
    """


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key '{key}' is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _unique_mapping,
)


#: Parsed files by (path, modified time, size): a block is read once per process,
#: not once per form that includes it, and a changed file is read again.
_PARSED: dict[tuple[str, int, int], Any] = {}


def _read_yaml(path: Path) -> Any:
    """The file's data (a fresh copy each time: the loader builds on it)."""
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in _PARSED:
            with path.open(encoding="utf-8") as handle:
                _PARSED[key] = yaml.load(handle, Loader=_UniqueKeyLoader)  # noqa: S506 (safe)
    except OSError as exc:
        raise SchemaError(f"{path}: cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: is not valid YAML: {exc}") from exc
    return copying.deepcopy(_PARSED[key])


def _error_lines(messages: Any) -> str:
    """marshmallow's errors as ``key.path: message`` lines joined by "; "."""
    return "; ".join(
        f"{'(top level)' if path == WHOLE else path}: {'; '.join(problems)}"
        for path, problems in flatten_errors(messages).items()
    )


def load_block(schemas_dir: Path, name: str) -> list[Any]:
    """The raw field list of the shared block ``name``."""
    path = schemas_dir / BLOCKS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise SchemaError(f"{path}: block '{name}' does not exist")
    raw = _read_yaml(path)
    try:
        data = BlockSchema().load(raw)
    except ValidationError as exc:
        raise SchemaError(f"{path}: {_error_lines(exc.messages)}") from exc
    if data["block"] != name:
        raise SchemaError(f"{path}: block: says '{data['block']}', expected '{name}'")
    return list(data["fields"])


def _expand(schemas_dir: Path, items: list[Any], depth: int = 0) -> list[Any]:
    """Replace every ``{include: name}`` entry with the block's fields."""
    if depth > MAX_INCLUDE_DEPTH:
        raise SchemaError("blocks include each other too deeply (a cycle?)")
    expanded: list[Any] = []
    for item in items:
        if isinstance(item, dict) and set(item) in ({"include"}, {"include", "change"}):
            block = _expand(schemas_dir, load_block(schemas_dir, item["include"]), depth + 1)
            expanded.extend(_changed(block, item.get("change"), item["include"]))
            continue
        if isinstance(item, dict) and isinstance(item.get("fields"), list):
            item = {**item, "fields": _expand(schemas_dir, item["fields"], depth)}
        if isinstance(item, dict) and "options_from" in item:
            item = _with_shared_options(schemas_dir, item)
        expanded.append(item)
    return expanded


def _changed(fields: list[Any], change: Any, block: str) -> list[Any]:
    """A block's fields with ``change: {field: {key: value}}`` applied: how one form
    adds to a shared question what only it needs (the request for service waives
    consent for a confirmed safeguarding concern), leaving the block as it is."""
    if change is None:
        return fields
    if not isinstance(change, dict):
        raise SchemaError(f"include {block}: change: must map field names to their changes")
    names = {f.get("name") for f in fields if isinstance(f, dict)}
    unknown = sorted(str(name) for name in change if name not in names)
    if unknown:
        raise SchemaError(f"include {block}: change: {', '.join(unknown)} is not in the block")
    return [
        {**f, **change[f["name"]]} if isinstance(f, dict) and f.get("name") in change else f
        for f in fields
    ]


def _with_shared_options(schemas_dir: Path, item: dict[str, Any]) -> dict[str, Any]:
    """``options_from: need.headline`` takes the options of a block's field, and
    ``options_from: programme.headlines`` a list of the programme file, so a list
    such as the programme's ten headlines is written once."""
    rest = {k: v for k, v in item.items() if k != "options_from"}
    return {**rest, "options": _shared_options(schemas_dir, str(item["options_from"]))}


def _shared_options(schemas_dir: Path, source: str, depth: int = 0) -> Any:
    """The options ``source`` names, following a block field's own ``options_from``."""
    block, _, name = source.partition(".")
    if block == PROGRAMME:
        options = load_programme(schemas_dir).get(name)
        if isinstance(options, list):
            return options
    elif depth <= MAX_INCLUDE_DEPTH:
        for fld in load_block(schemas_dir, block):
            if isinstance(fld, dict) and fld.get("name") == name and "options" in fld:
                return fld["options"]
            if isinstance(fld, dict) and fld.get("name") == name and "options_from" in fld:
                return _shared_options(schemas_dir, str(fld["options_from"]), depth + 1)
    raise SchemaError(f"options_from: '{source}' names no field with options")


#: The programme file (``data/programme.yaml``) and how text names its wording.
PROGRAMME = "programme"
PROGRAMME_FILE = Path("data") / "programme.yaml"
PROGRAMME_TEXT = re.compile(r"\{programme\.([a-z_]+)\}")


def load_programme(schemas_dir: Path) -> dict[str, Any]:
    """The national programme's name, dates, source, eligibility wording and headlines."""
    path = schemas_dir / PROGRAMME_FILE
    if not path.is_file():
        raise SchemaError(f"{path}: the programme file does not exist")
    raw = _read_yaml(path)
    data = raw.get(PROGRAMME) if isinstance(raw, dict) else None
    if not isinstance(data, dict):
        raise SchemaError(f"{path}: must hold a mapping called '{PROGRAMME}'")
    try:
        return dict(ProgrammeSchema().load(data))
    except ValidationError as exc:
        raise SchemaError(f"{path}: {_error_lines(exc.messages)}") from exc


def _with_programme_text(schemas_dir: Path, value: Any) -> Any:
    """Every ``{programme.name}`` (or another wording key) in a string filled from
    the programme file, through lists and mappings; other braces are left alone
    (a stop page's ``{level4_phone}`` is filled from configuration later)."""
    if isinstance(value, str):
        if not PROGRAMME_TEXT.search(value):
            return value
        programme = load_programme(schemas_dir)

        def fill(match: re.Match[str]) -> str:
            key = match.group(1)
            if not isinstance(programme.get(key), str):
                raise SchemaError(f"'{match.group(0)}' names no wording of the programme")
            return str(programme[key])

        return PROGRAMME_TEXT.sub(fill, value)
    if isinstance(value, list):
        return [_with_programme_text(schemas_dir, v) for v in value]
    if isinstance(value, dict):
        return {k: _with_programme_text(schemas_dir, v) for k, v in value.items()}
    return value


#: What the family record reads from each person of ``record.household``.
PERSON_KEYS = ("role", "first_name", "last_name", "date_of_birth")


def _check_record(form: FormDefinition) -> list[str]:
    """``record:`` must name fields that exist, of the right kind."""
    top = tuple(form.fields)
    keys = form.record
    problems: list[str] = []
    if keys.household is not None:
        group = resolve(top, keys.household)
        if group is None or group.type != "repeating":
            problems.append(f"record.household: '{keys.household}' is not a repeating group")
        else:
            names = {f.name for f in group.fields}
            missing = [k for k in PERSON_KEYS if k not in names]
            if missing:
                problems.append(f"record.household: its items lack {', '.join(missing)}")
            if keys.lead is not None and keys.lead.field not in names:
                problems.append(f"record.lead: '{keys.lead.field}' is not a field of its items")
    for key in ("postcode", "organisation_type", "consent_withdrawn_on"):
        path = getattr(keys, key)
        if path is not None and resolve(top, path) is None:
            problems.append(f"record.{key}: '{path}' is not a field of this form")
    for key in ("closes_family", "consent_withdrawn"):
        condition = getattr(keys, key)
        if condition is not None and resolve(top, condition.field) is None:
            problems.append(f"record.{key}: '{condition.field}' is not a field")
    return problems


def _check_scope(fields: tuple[Field, ...], where: str, seen: set[str] | None = None) -> list[str]:
    """Cross-checks within one scope: unique names, conditions, summaries."""
    problems: list[str] = []
    names: set[str] = set() if seen is None else seen
    earlier: dict[str, Field] = {}
    for fld in fields:
        path = f"{where}.{fld.name}"
        if fld.name in names:
            problems.append(f"{path}: the name '{fld.name}' is used twice")
        names.add(fld.name)
        if fld.show_if and fld.show_if.field not in earlier:
            problems.append(f"{path}.show_if: '{fld.show_if.field}' is not an earlier field here")
        if fld.show_if and fld.show_if.field in earlier:
            target = earlier[fld.show_if.field]
            values = {o.value for o in target.options}
            wanted = [
                *(fld.show_if.one_of or ()),
                *([fld.show_if.includes] if fld.show_if.includes else []),
                *(fld.show_if.includes_any or ()),
            ]
            if values and any(v not in values for v in wanted):
                problems.append(
                    f"{path}.show_if: names a value '{fld.show_if.field}' does not offer"
                )
        if fld.type in {"group", "repeating"}:
            problems.extend(_check_scope(fld.fields, path))
            child_names = {f.name for f in fld.fields}
            for name in fld.summary:
                if name not in child_names:
                    problems.append(f"{path}.summary: '{name}' is not one of its fields")
            for rule in fld.item_rules:
                if rule.field not in child_names:
                    problems.append(f"{path}.item_rules: '{rule.field}' is not one of its fields")
            for name in fld.unique:
                if name not in child_names:
                    problems.append(f"{path}.unique: '{name}' is not one of its fields")
        if fld.type == "repeating" and any(f.type in {"group", "repeating"} for f in fld.fields):
            problems.append(f"{path}: a repeating group's items hold simple fields only")
        earlier[fld.name] = fld
    return problems


def _cross_check(form: FormDefinition, templates_dir: Path | None) -> list[str]:
    problems: list[str] = []
    page_ids: set[str] = set()
    top_names: set[str] = set()
    for index, page in enumerate(form.pages):
        where = f"pages[{index}] ({page.id})"
        if page.id in page_ids:
            problems.append(f"{where}: the page id '{page.id}' is used twice")
        page_ids.add(page.id)
        problems.extend(_check_scope(page.fields, where, top_names))
        has_repeating = any(f.type == "repeating" for f in page.fields)
        if has_repeating and len(page.fields) != 1:
            problems.append(f"{where}: a repeating group must be alone on its page")
        if page.show_if and page.show_if.field not in top_names:
            problems.append(f"{where}.show_if: '{page.show_if.field}' is not on an earlier page")
    problems.extend(_check_paths(form))
    problems.extend(_check_record(form))
    problems.extend(_check_answer_options(form))
    problems.extend(_check_gates(form))
    problems.extend(_check_alerts(form, page_ids))
    if templates_dir is not None:
        templates = [("documents.pdf", form.documents.pdf), ("documents.docx", form.documents.docx)]
        if form.family_plan is not None:
            templates += [
                ("family_plan.pdf", form.family_plan.pdf),
                ("family_plan.docx", form.family_plan.docx),
            ]
        for key, name in templates:
            if not (templates_dir / name).is_file():
                problems.append(f"{key}: template '{name}' not found in {templates_dir}")
    return problems


def _fields_drawing_options(fields: tuple[Field, ...], where: str) -> list[tuple[str, Field]]:
    """Every choice (at any depth) whose options come from answers, with its path."""
    found: list[tuple[str, Field]] = []
    for fld in fields:
        if fld.options_from_answers:
            found.append((f"{where}{fld.name}", fld))
        found.extend(_fields_drawing_options(fld.fields, f"{where}{fld.name}."))
    return found


def _check_answer_options(form: FormDefinition) -> list[str]:
    """``options_from_answers`` must name a list or group of this form whose items
    have every field its label fills in (an ``optional`` source may be absent)."""
    top = tuple(form.fields)
    problems: list[str] = []
    for path, fld in _fields_drawing_options(top, ""):
        for source in fld.options_from_answers:
            where = f"{path}.options_from_answers: '{source.source}'"
            group = resolve(top, source.source)
            if group is None:
                if not source.optional:
                    problems.append(f"{where} is not a field of this form")
                continue
            if group.type not in {"group", "repeating"}:
                problems.append(f"{where} is not a list or a group")
                continue
            names = {f.name for f in group.fields}
            problems.extend(
                f"{where}: '{name}' is not one of its fields"
                for name in source.placeholders
                if name not in names
            )
    return problems


def _check_gates(form: FormDefinition) -> list[str]:
    """A stop's ``unless`` names an answer asked on an earlier page (so the page can
    decide it) when the form asks it at all: a shared block's ``unless`` may name
    a question only one form asks, and elsewhere never holds. A stop or advice
    names an answer the question offers."""
    problems: list[str] = []
    asked: set[str] = set()
    everywhere = {f.name for f in form.fields}
    for page in form.pages:
        for fld in page.fields:
            offered = {o.value for o in fld.options}
            for key, notice in (("stop", fld.stop), ("advice", fld.advice)):
                if notice is not None and offered and notice.when not in offered:
                    problems.append(f"{fld.name}.{key}: '{notice.when}' is not one of its options")
            unless = fld.stop.unless if fld.stop is not None else None
            if unless is not None and unless.field in everywhere and unless.field not in asked:
                problems.append(
                    f"{fld.name}.stop.unless: '{unless.field}' is not asked on an earlier page"
                )
        asked.update(f.name for f in page.fields)
    return problems


def _check_alerts(form: FormDefinition, page_ids: set[str]) -> list[str]:
    """Alerts show after a page of this form, and test answers it asks."""
    problems: list[str] = []
    top = tuple(form.fields)
    seen: set[str] = set()
    for alert in form.alerts:
        where = f"alerts.{alert.id}"
        if alert.id in seen:
            problems.append(f"{where}: the alert id '{alert.id}' is used twice")
        seen.add(alert.id)
        if alert.after not in page_ids:
            problems.append(f"{where}.after: '{alert.after}' is not a page of this form")
        for trigger in alert.when:
            problems.extend(
                f"{where}.when: {problem}"
                for problem in _missing_in(top, trigger.field, (c.field for c in trigger.some))
            )
    return problems


def _missing_in(
    top: tuple[Field, ...], path: str, names: Iterable[str], *, leaf_ok: bool = False
) -> list[str]:
    """What is wrong with naming ``names`` inside the group or list at ``path``: that
    ``path`` is not a field, or each name it does not hold. With ``leaf_ok`` a field
    that holds no fields takes any name (prefill copies a whole value into one)."""
    target = resolve(top, path)
    if target is None:
        return [f"'{path}' is not a field of this form"]
    held = {f.name for f in target.fields}
    if leaf_ok and not held:
        return []
    return [f"'{name}' is not in '{path}'" for name in names if name not in held]


def _check_paths(form: FormDefinition) -> list[str]:
    """Rules, computed values and prefill must name fields that exist."""
    top = tuple(form.fields)
    problems: list[str] = []
    for where, rules in (("rules", form.rules), ("warnings", form.warnings)):
        problems.extend(f"{where}: {problem}" for rule in rules for problem in rule.problems(top))
    problems.extend(
        f"{path}.must_be_unless: '{condition.field}' is not a field of this form"
        for path, fld in _walk(top, "")
        for condition in fld.must_be_unless
        if resolve(top, condition.field) is None
    )
    for computed in form.computed:
        if resolve(top, computed.field) is None:
            problems.append(f"computed.{computed.name}: '{computed.field}' is not a field")
    for prefill in form.prefill:
        for copy in prefill.copies:
            into = ((copy.into, None),) if copy.into else ()
            names = (to for to, _ in copy.fields + copy.set + into)
            problems.extend(
                f"prefill.{prefill.form}: {problem}"
                for problem in _missing_in(top, copy.target, names, leaf_ok=True)
            )
    return problems


def load_glossary(path: Path) -> Glossary:
    """The glossary file at ``path`` (an empty glossary when there is none)."""
    if not path.is_file():
        return Glossary()
    raw = _read_yaml(path)
    try:
        data = GlossarySchema().load(raw)
    except ValidationError as exc:
        raise SchemaError(f"{path}: {_error_lines(exc.messages)}") from exc
    glossary = Glossary(tuple(data["terms"]))
    problems = glossary.problems()
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    return glossary


def map_fields(form: FormDefinition, change: Callable[[Field], Field]) -> FormDefinition:
    """``form`` with ``change`` applied to every field, inside groups too."""

    def walk(fields: tuple[Field, ...]) -> tuple[Field, ...]:
        return tuple(change(dataclasses.replace(f, fields=walk(f.fields))) for f in fields)

    pages = tuple(dataclasses.replace(p, fields=walk(p.fields)) for p in form.pages)
    return dataclasses.replace(form, pages=pages)


def with_glossary(form: FormDefinition, glossary: Glossary) -> FormDefinition:
    """Every family-facing field of ``form`` that is not the family's own words
    checks its answer against ``glossary``."""
    return map_fields(
        form,
        lambda f: (
            dataclasses.replace(f, glossary=glossary) if f.family_facing and not f.own_words else f
        ),
    )


def _without_family_copy(form: FormDefinition) -> FormDefinition:
    """A form with no family plan prints nothing for the family, so a shared block's
    ``family_facing`` means nothing there: no hint, no abbreviation check."""
    if form.family_plan is not None:
        return form
    return map_fields(
        form,
        lambda f: (
            dataclasses.replace(f, family_facing=False, own_words=False) if f.family_facing else f
        ),
    )


def _walk(fields: tuple[Field, ...], prefix: str) -> list[tuple[str, Field]]:
    """Every field with its dotted path, through groups and repeating groups."""
    found = []
    for fld in fields:
        found.append((prefix + fld.name, fld))
        found.extend(_walk(fld.fields, f"{prefix}{fld.name}."))
    return found


def load_form(path: Path, templates_dir: Path | None = None) -> FormDefinition:
    """Load, validate and cross-check one form file."""
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: must be a mapping of keys such as id, title, pages")
    schemas_dir = path.parent
    try:
        pages = raw.get("pages")
        if isinstance(pages, list):
            raw = {
                **raw,
                "pages": [
                    {**p, "fields": _expand(schemas_dir, p["fields"])}
                    if isinstance(p, dict) and isinstance(p.get("fields"), list)
                    else p
                    for p in pages
                ],
            }
        form = FormSchema().load(_with_programme_text(schemas_dir, raw))
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise SchemaError(f"{path}: {_error_lines(exc.messages)}") from exc
    if form.id != path.stem:
        raise SchemaError(f"{path}: id: '{form.id}' must match the file name '{path.stem}'")
    form = _without_family_copy(dataclasses.replace(form, source=str(path)))
    problems = _cross_check(form, templates_dir)
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    return form
