"""All form definitions of a deployment, loaded once and looked up by id."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..workdays import WorkingCalendar
from .glossary import Glossary
from .loader import GLOSSARY_FILE, SchemaError, load_form, load_glossary, with_glossary
from .model import Copy, FormDefinition, placeholders, resolve


def form_files(schemas_dir: Path) -> list[Path]:
    """Every form file: the YAML files beside the glossary (blocks live in a sub-folder)."""
    return sorted(p for p in schemas_dir.glob("*.yaml") if p.name != GLOSSARY_FILE)


class UnknownForm(KeyError):
    """No form has that id."""


class Registry:
    """The forms in ``schemas_dir`` whose templates live in ``templates_dir``.

    Each form is given the deployment's ``calendar`` (bank holidays and the
    configured closure days), so its working-day rules and computed dates
    count the same days wherever the form goes: a view, a worker, or the
    render process it is sent to. The glossary (``glossary.yaml``) is read
    once here and given to every family-facing field, so a page and the API
    refuse the same abbreviations.
    """

    def __init__(
        self,
        schemas_dir: Path,
        templates_dir: Path,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self.schemas_dir = schemas_dir
        self.templates_dir = templates_dir
        self.calendar = WorkingCalendar() if calendar is None else calendar
        self.glossary: Glossary = load_glossary(schemas_dir / GLOSSARY_FILE)
        self._forms: dict[str, FormDefinition] = {}
        stamp = _stamp(schemas_dir, "*.yaml") + _stamp(templates_dir, "*")
        for path in self.schema_files():
            form = with_glossary(_loaded(path, templates_dir, stamp), self.glossary)
            self._forms[form.id] = dataclasses.replace(form, calendar=self.calendar)
        problems = prefill_problems(self._forms) + alert_problems(self._forms)
        if problems:
            raise SchemaError("; ".join(problems))

    def schema_files(self) -> list[Path]:
        """Every form file (blocks live in a sub-folder and are not forms)."""
        return form_files(self.schemas_dir)

    def get(self, form_id: str) -> FormDefinition:
        """The form called ``form_id``; ``UnknownForm`` if there is none."""
        try:
            return self._forms[form_id]
        except KeyError:
            raise UnknownForm(form_id) from None

    def ids(self) -> list[str]:
        """Every form's id."""
        return list(self._forms)

    def all(self) -> list[FormDefinition]:
        """Every form, in file-name order."""
        return list(self._forms.values())

    def largest_file(self) -> int:
        """The largest file any form's question takes (``max_bytes``), or 0: the body
        limit of the upload routes."""
        return max(
            (f.max_bytes or 0 for form in self._forms.values() for f in form.fields), default=0
        )


#: Forms already checked and built, by file, templates folder and the state of
#: every schema and template file: an app (or a test) made again with unchanged
#: files does not check them all again. A definition is immutable, so sharing it
#: is safe; any changed file makes a new key.
_LOADED: dict[tuple[Path, Path, tuple[tuple[str, int, int], ...]], FormDefinition] = {}


def _stamp(folder: Path, pattern: str) -> tuple[tuple[str, int, int], ...]:
    """Each file under ``folder`` matching ``pattern``, with its modified time and size."""
    found = []
    for path in sorted(folder.rglob(pattern)):
        if path.is_file():
            stat = path.stat()
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _loaded(
    path: Path, templates_dir: Path, stamp: tuple[tuple[str, int, int], ...]
) -> FormDefinition:
    key = (path.resolve(), templates_dir.resolve(), stamp)
    if key not in _LOADED:
        _LOADED[key] = load_form(path, templates_dir)
    return _LOADED[key]


def prefill_problems(forms: dict[str, FormDefinition]) -> list[str]:
    """Each ``prefill`` must name a form that exists and fields it really has."""
    problems: list[str] = []
    for form in forms.values():
        for prefill in form.prefill:
            source = forms.get(prefill.form)
            if source is None:
                problems.append(f"{form.source}: prefill: there is no form '{prefill.form}'")
                continue
            for step in prefill.copies:
                if step.source.startswith("_"):
                    continue
                found = resolve(tuple(source.fields), step.source)
                if found is None:
                    problems.append(
                        f"{form.source}: prefill.{prefill.form}: '{step.source}' "
                        f"is not a field of {prefill.form}"
                    )
                    continue
                names = {f.name for f in found.fields}
                for src in _item_names(step):
                    if src not in names:
                        problems.append(
                            f"{form.source}: prefill.{prefill.form}: '{src}' is not in "
                            f"'{step.source}' of {prefill.form}"
                        )
    return problems


def _item_names(step: Copy) -> list[str]:
    """The source item's answers a prefill step reads, by name or in a template."""
    names: list[str] = []
    for _, src in step.fields:
        names.extend(placeholders(src) if "{" in src else [src])
    if step.format:
        names.extend(placeholders(step.format))
    return names


def alert_problems(forms: dict[str, FormDefinition]) -> list[str]:
    """An alert's ``start`` must name a form that can be prefilled from this one."""
    return [
        f"{form.source}: alerts.{alert.id}.start: '{alert.start}' cannot start from {form.id} "
        "(it needs a prefill: entry for it)"
        for form in forms.values()
        for alert in form.alerts
        if alert.start is not None
        and (alert.start not in forms or forms[alert.start].prefill_from(form.id) is None)
    ]


def check_schema_files(schemas_dir: Path, templates_dir: Path) -> list[str]:
    """Every problem in every form file, one message each (empty when all is well)."""
    problems: list[str] = []
    try:
        load_glossary(schemas_dir / GLOSSARY_FILE)
    except SchemaError as exc:
        problems.append(str(exc))
    files = form_files(schemas_dir)
    if not files:
        problems.append(f"{schemas_dir}: no form files (*.yaml) found")
    forms: dict[str, FormDefinition] = {}
    for path in files:
        try:
            form = load_form(path, templates_dir)
            forms[form.id] = form
        except SchemaError as exc:
            problems.append(str(exc))
    return problems + prefill_problems(forms) + alert_problems(forms)
