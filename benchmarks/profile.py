"""``python -m benchmarks.profile``: where the time goes (pyinstrument), as text files.

Profiles, on the ``ehfsa-8`` fixture: the service's PDF render, its DOCX
render, and the submit path (``validate_submission`` + storing the row in
SQLite with ``synchronous=FULL``, exactly what a POST does after parsing).
Writes ``benchmarks/results/profile-<what>.txt`` and prints the top of each.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pyinstrument import Profiler

from tests.factories import CONTACTS, REFERENCE, ROOT, SUBMITTED_AT, TEMPLATES

from .fixtures import fixtures

OUT = ROOT / "benchmarks" / "results"


def profile(name: str, work: Callable[[], object], repeat: int) -> str:
    work()  # warm-up
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeat):
        work()
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"profile-{name}.txt").write_text(text, encoding="utf-8")
    return text


def main() -> int:
    from forms_service.documents import DocumentRenderer, SubmissionRecord

    fx = fixtures()["ehfsa-8"]
    renderer = DocumentRenderer(TEMPLATES, CONTACTS)
    record = SubmissionRecord(fx.form, fx.answers, REFERENCE, SUBMITTED_AT)
    print(profile("pdf", lambda: renderer.pdf(record), 10))
    print(profile("docx", lambda: renderer.docx(record), 50))

    with tempfile.TemporaryDirectory(prefix="bench-profile-", dir=ROOT / "benchmarks") as tmp:
        os.environ["FORMS_INSTANCE_PATH"] = tmp
        from forms_service import create_app
        from forms_service.auth.actor import ANONYMOUS
        from forms_service.submissions.service import submit

        app = create_app({"task_mode": "sync", "smtp_url": None})
        services = app.extensions["forms"]  # submit() stores; it queues no delivery
        print(
            profile(
                "submit",
                lambda: submit(services, fx.form, fx.body, channel="api", actor=ANONYMOUS),
                200,
            )
        )
        Path(tmp).exists()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
