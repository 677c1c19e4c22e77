"""Turn a validated submission into the dictionary every document template sees.

One function, :func:`build_context`, used by both the PDF and the DOCX. The
templates never format values themselves: each answer arrives as a human
string ("Yes", "3 March 2016", an option's label, "Not given"), in form page
order, so a new form file gets readable documents with no template work.

Shape (``CONTEXT_KEYS`` lists the top-level names; ``checks.py`` uses it)::

    form:         {id, version, title, short_title}
    reference:    "EH-…"
    submitted_at: "24 November 2026 at 2:05pm"   (Europe/London)
    child:        "Kayden, 7 years old": the lead child (the form's ``record.lead``)
                  and their age on the day the form was sent; "" when none
    answers:      the raw answers (for form-specific templates)
    shown:        {"meeting.date": "3 December 2026", "decision": "Close", …}:
                  every simple answer outside repeating groups, by dotted
                  path, as display text (a hidden question shows an en dash)
    sections:     [{title, rows: [{label, value, blank, tag}], tables: [table]}]
                  (``tag``: the colour of an option with ``tag:``, or None)
                  (answered questions; then, if any optional ones were left
                  blank, one row {label: "Optional questions not answered",
                  value: "Their labels; …", blank: True})
    table:        {name, title, item_label, columns: [label], rows: [[value]],
                   tags: [[colour or None]] (beside rows),
                   entries: [{heading, rows: [{label, value, blank, tag}]}]}
                  (an entry's rows leave out the summary's columns; an item
                  with nothing more to say has no entry)
    computed:     {name: {label, value: "4 December 2026"}} (schema ``computed:``)
    warnings:     ["The next review is more than 6 weeks after …"] (schema ``warnings:``)
    contacts:     configured contact details ({level4_phone, …}); {} if none given
    family:       the family-facing plan (see ``family.py``), or None when the
                  form declares no ``family_plan:``

Each repeating group's items are called ``entries`` (not ``items``): in Jinja
``table.items`` would find the dict's ``items`` method before the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..definitions.model import Field, FormDefinition
from ..families.record import age_text, lead_person
from ..fieldtypes import display_value, type_of
from ..formats import LONDON, format_date, format_datetime
from ..submissions import rules
from ..text import strip_xml_illegal
from .family import build_family_plan

NOT_APPLICABLE = "\u2013"  # an en dash: the question did not apply
CONTEXT_KEYS = frozenset(
    {
        "form",
        "reference",
        "submitted_at",
        "child",
        "answers",
        "shown",
        "sections",
        "computed",
        "warnings",
        "contacts",
        "family",
    }
)


def _visible(fld: Field, scope: Mapping[str, Any]) -> bool:
    return fld.show_if is None or fld.show_if.holds(dict(scope))


OPTIONAL_SUFFIX = "(optional)"
NOT_ANSWERED_LABEL = "Optional questions not answered"


def document_label(fld: Field) -> str:
    """The question as a printed record shows it: without the form's "(optional)"."""
    label = fld.label.rstrip()
    if label.lower().endswith(OPTIONAL_SUFFIX):
        label = label[: -len(OPTIONAL_SUFFIX)].rstrip()
    return label


def _answer_rows(
    fields: tuple[Field, ...], scope: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for the answered simple fields, and the labels of those left blank.

    Groups are flattened in place; hidden questions and the names in ``skip``
    (already shown elsewhere, e.g. in a summary table) are left out.
    """
    rows: list[dict[str, Any]] = []
    blank: list[str] = []
    for fld in fields:
        if fld.name in skip or not _visible(fld, scope):
            continue
        kind = type_of(fld)
        if kind.group:
            inner = scope.get(fld.name)
            more, unanswered = _answer_rows(fld.fields, inner if isinstance(inner, Mapping) else {})
            rows.extend(more)
            blank.extend(unanswered)
        elif not kind.repeats:
            raw = scope.get(fld.name)
            if raw is None or raw == "" or raw == []:
                blank.append(document_label(fld))
            else:
                rows.append(
                    {
                        "label": document_label(fld),
                        "value": display_value(fld, raw),
                        "blank": False,
                        "tag": fld.option_tag(raw),
                    }
                )
    return rows, blank


def _rows(
    fields: tuple[Field, ...], scope: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Label/value rows, the optional questions left blank gathered into one last row.

    A record reader scans for what was said; one "not answered" row keeps every
    question accounted for without a page of "Not given".
    """
    rows, blank = _answer_rows(fields, scope, skip)
    if blank:
        rows.append({"label": NOT_ANSWERED_LABEL, "value": "; ".join(blank), "blank": True})
    return rows


def _entry_name(fld: Field, item: Mapping[str, Any]) -> str:
    """What identifies one item in its heading, e.g. "Ann Smith" or "Secure housing".

    Leading summary fields that hold a name (``first_name``, ``last_name``,
    ``name``…) are joined with spaces; otherwise the first summary answer.
    """
    names: list[str] = []
    for name in fld.summary:
        child = fld.child(name)
        if type_of(child).one_line and name.endswith("name"):
            if item.get(name):
                names.append(str(item[name]))
            continue
        break
    if names:
        return " ".join(names)
    for name in fld.summary[:1]:
        child = fld.child(name)
        if item.get(name) not in (None, "", []):
            return display_value(child, item[name])
    return ""


def _markers(fld: Field, item: Mapping[str, Any]) -> list[str]:
    """The schema's ``record_marker`` of each yes/no answered "yes" in ``item``:
    "Left out of the family's copy" beside a person the plan leaves out, so a
    reader of the record cannot miss it."""
    return [f.record_marker for f in fld.fields if f.record_marker and item.get(f.name) is True]


def _table(fld: Field, items: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A repeating group: a summary table, then each item's other answers.

    The summary's columns are not repeated in the details, so a household of
    eight reads as one table and eight short blocks rather than eight pages.
    """
    summary = fld.summary or tuple(f.name for f in fld.fields[:3])
    columns = [document_label(fld.child(name)) for name in summary]
    rows: list[list[str]] = []
    tags: list[list[str | None]] = []
    entries: list[dict[str, Any]] = []
    noun = fld.item_label or "item"
    for number, item in enumerate(items, start=1):
        cells = []
        colours = []
        for name in summary:
            child = fld.child(name)
            visible = _visible(child, item)
            cells.append(display_value(child, item.get(name)) if visible else NOT_APPLICABLE)
            colours.append(child.option_tag(item.get(name)) if visible else None)
        rows.append(cells)
        tags.append(colours)
        heading = f"{noun[:1].upper()}{noun[1:]} {number}"
        name = _entry_name(fld, item)
        if name:
            heading = f"{heading}: {name}"
        heading = " – ".join([heading, *_markers(fld, item)])
        details = _rows(fld.fields, item, skip=frozenset(summary))
        if details:  # a row says everything when the group has no other questions
            entries.append({"heading": heading, "rows": details})
    return {
        "name": fld.name,
        "title": fld.label,
        "item_label": noun,
        "columns": columns,
        "rows": rows,
        "tags": tags,
        "entries": entries,
    }


def clean_strings(value: Any) -> Any:
    """A deep copy of ``value`` with XML-illegal characters removed from every string."""
    if isinstance(value, str):
        return strip_xml_illegal(value)
    if isinstance(value, Mapping):
        return {clean_strings(k): clean_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_strings(v) for v in value]
    return value


def build_sections(form: FormDefinition, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every visible page as a section, in form order."""
    sections: list[dict[str, Any]] = []
    for page in form.pages:
        if page.show_if is not None and not page.show_if.holds(dict(answers)):
            continue
        tables = []
        for fld in page.fields:
            if type_of(fld).repeats and _visible(fld, answers):
                items = answers.get(fld.name) or []
                tables.append(_table(fld, [i for i in items if isinstance(i, Mapping)]))
        sections.append(
            {"title": page.title, "rows": _rows(page.fields, answers), "tables": tables}
        )
    return sections


def build_shown(
    fields: tuple[Field, ...], scope: Mapping[str, Any], prefix: str = "", visible: bool = True
) -> dict[str, str]:
    """Every simple answer outside repeating groups as ``{dotted path: display text}``.

    Every field of the form has an entry, so a template naming one never meets
    an undefined value: a hidden question shows an en dash, a missing answer
    "Not given".
    """
    shown: dict[str, str] = {}
    for fld in fields:
        here = visible and _visible(fld, scope)
        path = f"{prefix}{fld.name}"
        kind = type_of(fld)
        if kind.group:
            inner = scope.get(fld.name)
            shown.update(
                build_shown(
                    fld.fields, inner if isinstance(inner, Mapping) else {}, f"{path}.", here
                )
            )
        elif not kind.repeats:
            shown[path] = display_value(fld, scope.get(fld.name)) if here else NOT_APPLICABLE
    return shown


def build_shown_for_form(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, str]:
    """:func:`build_shown` over every page; fields on a hidden page count as hidden."""
    shown: dict[str, str] = {}
    for page in form.pages:
        visible = page.show_if is None or page.show_if.holds(dict(answers))
        shown.update(build_shown(page.fields, answers, "", visible))
    return shown


def build_computed(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The schema's computed values with human dates (``"4 December 2026"``)."""
    return {
        name: {"label": item["label"], "value": format_date(item["value"])}
        for name, item in rules.computed(form, answers).items()
    }


def lead_child(form: FormDefinition, answers: Mapping[str, Any], sent: dt.datetime) -> str:
    """Who the form is mainly about, for its header: "Kayden, 7 years old".

    The form's ``record.lead`` says which person is the lead child. The age is
    on the day the form was sent, not today, so a record printed next year
    still says how old the child was when it was written. "" when the form
    names no lead child or the answer gives no first name.
    """
    person = lead_person(form, dict(answers))
    name = str(person.get("first_name") or "").strip() if person else ""
    if not person or not name:
        return ""
    aware = sent if sent.tzinfo else sent.replace(tzinfo=dt.UTC)
    born = person.get("date_of_birth") or person.get("due_date")
    age = age_text(str(born) if born else None, aware.astimezone(LONDON).date())
    return f"{name}, {age}" if age else name


def build_context(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    contacts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The template context for one submission (see the module docstring).

    ``contacts`` are the configured phone numbers and email (``settings.contacts``);
    only the family plan uses them.
    """
    answers = clean_strings(answers)
    contacts = clean_strings({str(k): str(v) for k, v in (contacts or {}).items()})
    family = build_family_plan(answers, contacts) if form.family_plan else None
    if family is not None:
        family["date"] = format_datetime(submitted_at, date_only=True)
    context = {
        "form": {
            "id": form.id,
            "version": form.version,
            "title": form.title,
            "short_title": form.short_title,
        },
        "reference": strip_xml_illegal(reference),
        "submitted_at": format_datetime(submitted_at),
        "child": lead_child(form, answers, submitted_at),
        "answers": answers,
        "shown": build_shown_for_form(form, answers),
        "sections": build_sections(form, answers),
        "computed": build_computed(form, answers),
        "warnings": [strip_xml_illegal(w) for w in rules.warnings(form, answers)],
        "contacts": contacts,
        "family": family,
    }
    return context
