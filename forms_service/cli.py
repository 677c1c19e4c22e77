"""``forms-service``: run the service and use the engine from a shell.

Each command calls the same plain functions the web app uses, without a web
request: ``check-schemas`` loads every form file and its templates,
``render`` writes a form's PDF and DOCX from an answers file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import ConfigError, settings_from_env
from .definitions import Registry, SchemaError, check_schema_files
from .documents.checks import check_template_variables
from .documents.pipeline import render_documents
from .submissions.answers import AnswersInvalid, validate


def _run(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    from . import create_app

    app = create_app()
    print(f"Serving the Early Help forms on http://{args.host}:{args.port}/forms/")
    print(
        f"Mail is written to {app.extensions['forms'].settings.pickup_dir} "
        "unless FORMS_SMTP_URL is set."
    )
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    return 0


def _check_schemas(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    schemas = Path(args.schemas or settings.schemas_dir)
    templates = Path(args.templates or settings.templates_dir)
    problems = check_schema_files(schemas, templates)
    if not problems:
        for form in Registry(schemas, templates).all():
            problems.extend(check_template_variables(form, templates))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found in {schemas}", file=sys.stderr)
        return 1
    count = len(list(schemas.glob("*.yaml")))
    print(f"All {count} form schema(s) in {schemas} and their templates are valid.")
    return 0


def _render(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    registry = Registry(settings.schemas_dir, settings.templates_dir)
    form = registry.get(args.form_id)
    raw = json.loads(Path(args.answers).read_text(encoding="utf-8"))
    try:
        answers = validate(form.fields, raw, settings.contacts)
    except AnswersInvalid as exc:
        for path, messages in exc.errors.items():
            print(f"error: {path}: {'; '.join(messages)}", file=sys.stderr)
        return 1
    reference = args.reference or f"{form.reference_prefix}-DRAFT"
    documents = render_documents(
        form,
        answers,
        reference,
        dt.datetime.now(dt.UTC),
        settings.templates_dir,
        contacts=settings.contacts,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{reference}.pdf").write_bytes(documents.pdf)
    (out / f"{reference}.docx").write_bytes(documents.docx)
    written = [f"{reference}.pdf", f"{reference}.docx"]
    if documents.family_pdf is not None and documents.family_docx is not None:
        (out / f"{reference}-family-plan.pdf").write_bytes(documents.family_pdf)
        (out / f"{reference}-family-plan.docx").write_bytes(documents.family_docx)
        written += [f"{reference}-family-plan.pdf", f"{reference}-family-plan.docx"]
    print(f"Wrote {', '.join(written)} in {out}")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from .mail.outbox import retry_now, undelivered
    from .services import build_services

    services = build_services(settings_from_env().with_overrides({"task_mode": "sync"}))
    if args.retry:
        changed = retry_now(services, args.retry.strip().upper())
        print(f"Retried {changed} message(s) for {args.retry}")
        return 0 if changed else 1
    rows = undelivered(services)
    if not rows:
        print("Every message has been sent.")
        return 0
    print(f"{'reference':<14} {'status':<9} {'tries':>5}  {'next try (UTC)':<16}  reason")
    for row in rows:
        when = row.next_attempt_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{row.reference:<14} {row.status:<9} {row.attempts:>5}  {when:<16}  "
            f"{row.last_error or ''}"
        )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from .worker import run_worker

    run_worker(["worker", "--beat", "--loglevel=INFO", f"--concurrency={args.concurrency}"])
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from .migrate import upgrade

    settings = settings_from_env()
    upgrade(settings.database_url)
    print("The database schema is up to date.")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="forms-service", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the web forms and API")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=5000)
    run.set_defaults(handler=_run)
    check = commands.add_parser("check-schemas", help="validate every form file and template")
    check.add_argument("--schemas", help="folder of form files (default form_schemas/)")
    check.add_argument("--templates", help="folder of templates (default doc_templates/)")
    check.set_defaults(handler=_check_schemas)
    render = commands.add_parser("render", help="write a PDF and DOCX without a server")
    render.add_argument("form_id")
    render.add_argument("answers", help="answers as JSON, in the API's shape")
    render.add_argument("--out", required=True, help="folder to write into")
    render.add_argument("--reference", help="reference to print (default <prefix>-DRAFT)")
    render.set_defaults(handler=_render)
    outbox = commands.add_parser("outbox", help="list undelivered mail, or retry one")
    outbox.add_argument("--retry", metavar="REFERENCE", help="send this reference's mail now")
    outbox.set_defaults(handler=_outbox)
    worker = commands.add_parser("worker", help="run a Celery worker (FORMS_BROKER_URL)")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.set_defaults(handler=_worker)
    db_upgrade = commands.add_parser(
        "db-upgrade", help="create or migrate the tables (FORMS_DATABASE_URL)"
    )
    db_upgrade.set_defaults(handler=_db_upgrade)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (ConfigError, SchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
