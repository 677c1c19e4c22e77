"""Static checks of a form's document templates against what exists.

Run by the every-schema test and usable as a pre-flight check when a council
edits a template: parse the PDF template (with everything it extends, imports
or includes) and the DOCX template's text with Jinja, for the form's record
and, when it declares ``family_plan:``, for its family plan too, then report

* a top-level name the context does not provide (``CONTEXT_KEYS``),
* ``answers.<name>`` / ``answers.<group>.<child>`` naming no field of the form,
* ``shown['<group>.<child>']`` naming no field outside a repeating group,
* ``|safe`` anywhere (document templates must never unescape),
* for a form with a family plan, an answer the plan reads
  (``family.FAMILY_PLAN_FIELDS``) that the form does not ask, and a plan
  template that reads anything but ``family`` and ``reference`` (the raw
  answers hold practitioner-only text: the family's copy gets only what
  ``family.py`` chose for it).

Each message names the template file and the variable. No rendering happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateError, meta, nodes

from ..definitions.model import Documents, Field, FormDefinition, resolve
from .context import CONTEXT_KEYS
from .family import FAMILY_PLAN_FIELDS
from .jinja import make_environment

#: dict methods a template may call on ``answers`` (``answers.get('x')``).
_DICT_METHODS = frozenset({"get", "items", "keys", "values"})
_HEADER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
_FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"


def _chain(node: nodes.Node) -> tuple[str, list[str | int]] | None:
    """``answers.a['b'].c`` → ``("answers", ["a", "b", "c"])``; None if not a plain chain."""
    steps: list[str | int] = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            steps.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str | int):
            steps.append(node.arg.value)
        else:
            return None
        node = node.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return node.name, steps[::-1]
    return None


def _check_answer_path(form: FormDefinition, steps: list[str | int]) -> str | None:
    """Why ``answers.<steps>`` is wrong for ``form``, or None if it names real fields."""
    shown = "answers"
    fields: tuple[Field, ...] = tuple(form.fields)
    current: Field | None = None
    for step in steps:
        if current is not None and current.type == "repeating":
            if isinstance(step, int):
                shown += f"[{step}]"
                fields, current = current.fields, None
                continue
            return f"'{shown}.{step}': '{current.name}' is a repeating group (a list); loop over it"
        if current is not None and current.type != "group":
            return f"'{shown}.{step}': '{current.name}' is a {current.type} answer, not a group"
        if isinstance(step, int):
            return f"'{shown}[{step}]' indexes something that is not a repeating group"
        if step in _DICT_METHODS:
            return None
        match = next((f for f in fields if f.name == step), None)
        shown += f".{step}"
        if match is None:
            return f"'{shown}': the form '{form.id}' has no field '{step}' here"
        current, fields = match, match.fields
    return None


def _check_shown_key(form: FormDefinition, key: str) -> str | None:
    """Why ``shown['<key>']`` is wrong for ``form``, or None if it names a simple answer."""
    if key in _DICT_METHODS:
        return None
    fields: tuple[Field, ...] = tuple(form.fields)
    for step in key.split("."):
        match = next((f for f in fields if f.name == step), None)
        if match is None:
            return f"'shown[{key!r}]': the form '{form.id}' has no field '{step}' here"
        if match.type == "repeating":
            return f"'shown[{key!r}]': '{step}' is a repeating group; loop over answers.{step}"
        fields = match.fields
    if fields:
        return f"'shown[{key!r}]' is a group; name one of its answers"
    return None


def check_family_plan_fields(form: FormDefinition) -> list[str]:
    """Answers the family plan reads that ``form`` does not ask (only if it has a plan)."""
    if form.family_plan is None:
        return []
    return [
        f"{form.family_plan.pdf}: the family plan needs the answer '{path}', "
        f"which the form '{form.id}' does not ask"
        for path in FAMILY_PLAN_FIELDS
        if resolve(tuple(form.fields), path) is None
    ]


#: All a family plan template may read: ``family.py`` picks every answer in it.
FAMILY_PLAN_KEYS = frozenset({"family", "reference"})


def _family_plan_reads(env: Environment, source: str, name: str) -> list[str]:
    """Names a family plan template reads besides ``FAMILY_PLAN_KEYS``."""
    try:
        used = meta.find_undeclared_variables(env.parse(source))
    except TemplateError:
        return []  # reported by check_source
    return [
        f"{name}: the family's plan reads '{variable}'; it may read only "
        f"{', '.join(sorted(FAMILY_PLAN_KEYS))} (practitioner-only answers never reach it)"
        for variable in sorted(used - FAMILY_PLAN_KEYS)
    ]


def check_source(form: FormDefinition, env: Environment, source: str, name: str) -> list[str]:
    """Problems in one template's source text (not following includes)."""
    try:
        ast = env.parse(source)
    except TemplateError as exc:
        return [f"{name}: cannot be parsed: {exc}"]
    problems = [
        f"{name}: uses '{variable}', which the document context does not provide"
        for variable in sorted(meta.find_undeclared_variables(ast) - CONTEXT_KEYS)
    ]
    seen: set[str] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        chain = _chain(node)
        if chain is None:
            continue
        if chain[0] == "answers":
            why = _check_answer_path(form, chain[1])
        elif chain[0] == "shown" and len(chain[1]) == 1 and isinstance(chain[1][0], str):
            why = _check_shown_key(form, chain[1][0])
        else:
            continue
        if why and why not in seen:
            seen.add(why)
            problems.append(f"{name}: {why}")
    for flt in ast.find_all(nodes.Filter):
        if flt.name == "safe":
            problems.append(f"{name}: line {flt.lineno} uses |safe; document templates must escape")
    return problems


def _pdf_templates(env: Environment, name: str) -> Iterator[tuple[str, str]]:
    """``name`` and every template it extends or includes, as (name, source)."""
    pending, visited = [name], set()
    while pending:
        current = pending.pop()
        if current in visited:
            continue
        visited.add(current)
        assert env.loader is not None
        source = env.loader.get_source(env, current)[0]
        yield current, source
        for referenced in meta.find_referenced_templates(env.parse(source)):
            if referenced is not None:
                pending.append(referenced)


def docx_template_source(path: Path) -> str:
    """The Jinja text of a DOCX template: body, headers, footers and properties."""
    template = DocxTemplate(str(path))
    document = docx.Document(str(path))
    parts = [template.patch_xml(template.xml_to_string(document.element.body))]
    for rel in document.part.rels.values():
        if rel.reltype in (_HEADER, _FOOTER) and not rel.is_external:
            xml = template.xml_to_string(parse_xml(rel.target_part.blob))
            parts.append(template.patch_xml(xml))
    props = document.core_properties
    parts.extend(
        getattr(props, name) or ""
        for name in ("author", "comments", "identifier", "language", "subject", "title")
    )
    return "\n".join(parts)


def _check_documents(
    form: FormDefinition,
    env: Environment,
    templates_dir: Path,
    documents: Documents,
    family_plan: bool = False,
) -> list[str]:
    problems: list[str] = []
    try:
        for name, source in _pdf_templates(env, documents.pdf):
            problems.extend(check_source(form, env, source, name))
            if family_plan:
                problems.extend(_family_plan_reads(env, source, name))
    except TemplateError as exc:
        problems.append(f"{documents.pdf}: {exc}")
    docx_path = templates_dir / documents.docx
    try:
        source = docx_template_source(docx_path)
    except Exception as exc:  # a broken .docx is reported, not raised
        problems.append(f"{documents.docx}: cannot be read: {exc}")
    else:
        problems.extend(check_source(form, env, source, documents.docx))
        if family_plan:
            problems.extend(_family_plan_reads(env, source, documents.docx))
    return problems


def check_template_variables(form: FormDefinition, templates_dir: Path) -> list[str]:
    """Every problem found in ``form``'s PDF and DOCX templates ([] when fine).

    Covers the record (``documents:``) and, if the form declares one, the
    family plan (``family_plan:``), each checked against this form's fields.
    """
    env = make_environment(templates_dir)
    problems = _check_documents(form, env, templates_dir, form.documents)
    if form.family_plan is not None:
        problems.extend(
            _check_documents(form, env, templates_dir, form.family_plan, family_plan=True)
        )
        problems.extend(check_family_plan_fields(form))
    return problems
