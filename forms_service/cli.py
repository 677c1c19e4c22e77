"""``forms-service``: run the service and use the engine from a shell.

Each command calls the same plain functions the web app uses, without a web
request: ``check-schemas`` loads every form file and its templates,
``render`` writes a form's PDF and DOCX from an answers file. The CLI is its
own composition root: a command builds its ``Services``, and ``outbox
--retry`` delivers at once with its own ``SyncRunner``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audit import CLI
from .auth.accounts import AccountError
from .broker import QUEUES
from .config import ROLES, ConfigError, settings_from_env
from .definitions.loader import SchemaError
from .definitions.registry import Registry, check_schema_files, form_files
from .delivery.lanes import LANES
from .documents.checks import check_template_variables
from .documents.renderer import DocumentRenderer, SubmissionRecord
from .submissions.answers import AnswersInvalid
from .submissions.service import validate_fields
from .workspace.service import WorkspaceError

if TYPE_CHECKING:
    from .services import Services


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
    count = len(form_files(schemas))
    print(f"All {count} form schema(s) in {schemas} and their templates are valid.")
    return 0


def _render(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    registry = Registry(settings.schemas_dir, settings.templates_dir, settings.calendar)
    form = registry.get(args.form_id)
    raw = json.loads(Path(args.answers).read_text(encoding="utf-8"))
    try:
        # As on sending: answers on pages that do not apply are dropped first.
        answers = validate_fields(form, raw, settings.contacts)
    except AnswersInvalid as exc:
        for path, messages in exc.errors.items():
            print(f"error: {path}: {'; '.join(messages)}", file=sys.stderr)
        return 1
    reference = args.reference or f"{form.reference_prefix}-DRAFT"
    record = SubmissionRecord(form, answers, reference, dt.datetime.now(dt.UTC))
    documents = DocumentRenderer(settings.templates_dir, settings.contacts).render(record)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = documents.files(reference)
    for file in files:
        (out / file.name).write_bytes(file.content)
    print(f"Wrote {', '.join(f.name for f in files)} in {out}")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from .delivery.outbox import retry_now
    from .delivery.status import undelivered
    from .tasks import SyncRunner

    services = _services()
    if args.retry:
        changed = retry_now(services, args.retry.strip().upper())
        runner = SyncRunner(services)
        for outbox_id in changed:
            runner.enqueue_delivery(outbox_id)
        print(f"Retried {len(changed)} message(s) for {args.retry}")
        return 0 if changed else 1
    rows = undelivered(services)
    if not rows:
        print("Every message has been sent.")
        return 0
    print(
        f"{'reference':<14} {'kind':<15} {'status':<9} {'tries':>5}  {'next try (UTC)':<16}  reason"
    )
    for row in rows:
        when = row.next_attempt_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{row.reference or '-':<14} {row.kind:<15} {row.status:<9} {row.attempts:>5}  "
            f"{when:<16}  {row.last_error or ''}"
        )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from .worker import run_worker

    argv = ["worker", "--loglevel=INFO", f"--concurrency={args.concurrency}"]
    if not args.no_beat:
        argv.append("--beat")
    if args.queues:
        argv.append("--queues=" + ",".join(QUEUES[lane] for lane in args.queues))
    run_worker(argv)
    return 0


def _lanes(raw: str) -> list[str]:
    """``--queues normal,slow``: lane names, each checked."""
    lanes = [lane.strip() for lane in raw.split(",") if lane.strip()]
    unknown = [lane for lane in lanes if lane not in LANES]
    if unknown or not lanes:
        raise argparse.ArgumentTypeError(f"queues are {' and '.join(LANES)}, not {raw!r}")
    return lanes


def _deliver(args: argparse.Namespace) -> int:
    import logging
    import signal

    from .tasks import Deliverer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page
    services = _services()
    deliverer = Deliverer(services)
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: deliverer.stop())
    print("Delivering the outbox (FORMS_TASK_MODE=deliver web processes signal new mail).")
    deliverer.run()
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from .migrate import upgrade

    settings = settings_from_env()
    upgrade(settings.database_url)
    print("The database schema is up to date.")
    return 0


def _services() -> Services:
    """The engine for a command, from the environment's settings."""
    from .services import build_services

    return build_services(settings_from_env())


def _users(args: argparse.Namespace) -> int:
    from .auth import accounts

    services = _services()
    if args.users_command == "add":
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else ""
        if not password:
            print(
                "error: give the password on standard input with --password-stdin", file=sys.stderr
            )
            return 2
        account, uri = accounts.add_user(services, args.email, args.name, args.role, password, CLI)
        print(f"Added {account.email} ({account.role}).")
        print("Give them this authenticator set-up link in person (or as a QR code):")
        print(uri)
        return 0
    if args.users_command == "list":
        for account in accounts.accounts(services):
            state = "disabled" if account.disabled else "active"
            how = "single sign-on" if account.single_sign_on else "password + authenticator"
            print(f"{account.email:<40} {account.role:<18} {state:<9} {how}")
        return 0
    if args.users_command in ("disable", "enable"):
        account = accounts.set_disabled(services, args.email, args.users_command == "disable", CLI)
        print(f"{account.email} is now {'disabled' if account.disabled else 'enabled'}.")
        return 0
    uri = accounts.reset_mfa(services, args.email, CLI)
    print("Their old authenticator no longer works, and they have been signed out everywhere.")
    print("Give them this new set-up link in person or by phone:")
    print(uri)
    return 0


def _api_tokens(args: argparse.Namespace) -> int:
    from .auth import tokens

    services = _services()
    if args.tokens_command == "create":
        forms = tuple(f.strip() for f in (args.forms or "").split(",") if f.strip())
        token = tokens.create(services, args.name, CLI, forms=forms, user_email=args.user)
        print(f"Token {args.name} (shown once; only a hash is kept):")
        print(token)
        return 0
    if args.tokens_command == "revoke":
        tokens.revoke(services, args.name, CLI)
        print(f"Token {args.name} is revoked.")
        return 0
    for info in tokens.tokens(services):
        what = f"acts as {info.user_email}" if info.user_email else "forms " + ",".join(info.forms)
        print(f"{info.name:<30} {'revoked' if info.revoked else 'live':<8} {what}")
    return 0


def _families(args: argparse.Namespace) -> int:
    from .workspace.service import allocate_by_reference as allocate

    family_id = allocate(_services(), args.reference, args.email, CLI)
    print(f"Allocated family {family_id} to {args.email}.")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from .maintenance import rotate_data_key

    count = rotate_data_key(_services(), CLI)
    print(f"Re-encrypted {count} stored value(s) with the newest key in FORMS_DATA_KEYS.")
    print("Older keys can now be removed from FORMS_DATA_KEYS.")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from .maintenance import purge

    print(purge(_services(), who=CLI))
    return 0


def _add_account_commands(commands: Any) -> None:
    users = commands.add_parser("users", help="staff accounts")
    users.set_defaults(handler=_users)
    actions = users.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="add a local account; prints the authenticator link")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("list", help="list every account")
    for name, text in (
        ("disable", "stop an account signing in (ends its sessions)"),
        ("enable", "let a disabled account sign in again"),
        ("reset-mfa", "give an account a new authenticator; prints its link"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("email")
    tokens = commands.add_parser("api-tokens", help="tokens for the JSON API")
    tokens.set_defaults(handler=_api_tokens)
    token_actions = tokens.add_subparsers(dest="tokens_command", required=True)
    create = token_actions.add_parser("create", help="make a token (printed once)")
    create.add_argument("--name", required=True)
    scope = create.add_mutually_exclusive_group(required=True)
    scope.add_argument("--forms", help="referral forms it may send, e.g. ehfsa,cspoc-request")
    scope.add_argument("--user", help="the staff email whose access it has")
    revoke = token_actions.add_parser("revoke", help="stop a token working")
    revoke.add_argument("name")
    token_actions.add_parser("list", help="list tokens (never the tokens themselves)")
    families = commands.add_parser("families", help="the family record")
    families.set_defaults(handler=_families)
    family_actions = families.add_subparsers(dest="families_command", required=True)
    allocate = family_actions.add_parser(
        "allocate", help="make someone a family's lead professional"
    )
    allocate.add_argument("reference", help="the reference of any form of the family")
    allocate.add_argument("email", help="the lead professional's account")
    rotate = commands.add_parser(
        "rotate-data-key", help="re-encrypt stored data with the newest FORMS_DATA_KEYS key"
    )
    rotate.set_defaults(handler=_rotate)
    purge = commands.add_parser("purge", help="delete old drafts and closed families' forms")
    purge.set_defaults(handler=_purge)


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
    worker.add_argument(
        "--queues",
        type=_lanes,
        help="render lanes to take: normal, slow or normal,slow (the default)",
    )
    worker.add_argument(
        "--no-beat", action="store_true", help="no sweeper here (another worker runs it)"
    )
    worker.set_defaults(handler=_worker)
    deliver = commands.add_parser(
        "deliver", help="deliver the outbox for FORMS_TASK_MODE=deliver web processes"
    )
    deliver.set_defaults(handler=_deliver)
    db_upgrade = commands.add_parser(
        "db-upgrade", help="create or migrate the tables (FORMS_DATABASE_URL)"
    )
    db_upgrade.set_defaults(handler=_db_upgrade)
    _add_account_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (ConfigError, SchemaError, AccountError, WorkspaceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
