"""All form definitions of a deployment, loaded once and looked up by id."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..workdays import WorkingCalendar
from .loader import SchemaError, load_form
from .model import FormDefinition, resolve


class UnknownForm(KeyError):
    """No form has that id."""


class Registry:
    """The forms in ``schemas_dir`` whose templates live in ``templates_dir``.

    Each form is given the deployment's ``calendar`` (bank holidays and the
    configured closure days), so its working-day rules and computed dates
    count the same days wherever the form goes: a view, a worker, or the
    render process it is sent to.
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
        self._forms: dict[str, FormDefinition] = {}
        for path in self.schema_files():
            form = load_form(path, templates_dir)
            self._forms[form.id] = dataclasses.replace(form, calendar=self.calendar)
        problems = prefill_problems(self._forms) + alert_problems(self._forms)
        if problems:
            raise SchemaError("; ".join(problems))

    def schema_files(self) -> list[Path]:
        """Every form file (blocks live in a sub-folder and are not forms)."""
        return sorted(self.schemas_dir.glob("*.yaml"))

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
                for _, src in step.fields:
                    if src not in names:
                        problems.append(
                            f"{form.source}: prefill.{prefill.form}: '{src}' is not in "
                            f"'{step.source}' of {prefill.form}"
                        )
    return problems


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
    files = sorted(schemas_dir.glob("*.yaml"))
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
