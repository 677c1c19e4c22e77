"""``python -m benchmarks.run``: every benchmark, a table, and results/<date>.json.

Figures only: nothing here passes or fails. Each target from the issue is shown
next to its figure with "met" or "MISSED by …" so a regression is visible.

Options (environment): ``BENCH_RUNS`` (PDF/DOCX repetitions, default 30),
``BENCH_SECONDS`` (load phase length, default 30), ``BENCH_CLIENTS`` (50),
``BENCH_RATE`` (steady rate for submission → SMTP, default 5/s),
``BENCH_BURST`` (capacity burst, default 60), ``BENCH_PACED_RATE`` (the
open-loop submit rate after the closed loop, default 100/s),
``BENCH_WORKERS``/``BENCH_THREADS`` (gunicorn, default 1 worker × 16
threads: SQLite takes one writer at a time), ``BENCH_ONLY`` (comma list of
``pdf,docs,largest,load,e2e,workspace,lane,slowloris``), ``BENCH_PAGE_RUNS``
(requests per staff page, 100),
``BENCH_LABEL`` (suffix of the results file).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from typing import Any

from tests.factories import ROOT

from .fixtures import fixtures

RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_ONLY = "pdf,docs,largest,load,e2e,workspace,lane,slowloris"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def machine() -> dict[str, Any]:
    import weasyprint

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "weasyprint": weasyprint.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def main() -> int:
    only = set(filter(None, os.environ.get("BENCH_ONLY", DEFAULT_ONLY).split(",")))
    runs = _env_int("BENCH_RUNS", 30)
    seconds = _env_float("BENCH_SECONDS", 30)
    clients = _env_int("BENCH_CLIENTS", 50)
    rate = _env_float("BENCH_RATE", 5)
    burst = _env_int("BENCH_BURST", 60)
    workers = _env_int("BENCH_WORKERS", 1)
    threads = _env_int("BENCH_THREADS", 16)
    started = time.time()
    fx = fixtures()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "runs": runs,
    }
    # A partial run (BENCH_ONLY) is named after its phases unless labelled, so it
    # never overwrites the day's full run.
    partial = "" if only == set(DEFAULT_ONLY.split(",")) else "-".join(sorted(only))
    label = os.environ.get("BENCH_LABEL", "") or partial
    stamp = dt.date.today().isoformat() + (f"-{label}" if label else "")
    path = RESULTS / f"{stamp}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)

    def phase(key: str, work: Any) -> None:
        """Run one phase; a failure is recorded and the others still run."""
        try:
            results[key] = work()
        except Exception as exc:
            log(f"  {key} failed: {type(exc).__name__}: {exc}")
            results.setdefault("failed", {})[key] = f"{type(exc).__name__}: {exc}"
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    if "pdf" in only:
        from .render import compare_pdf

        log(f"PDF: service vs naive WeasyPrint, Chromium (CLI, warm), LibreOffice; {runs} rounds")
        phase("pdf_comparison", lambda: compare_pdf(fx["ehfsa-8"], runs, log))
    if "docs" in only:
        from .render import service_documents

        def documents() -> dict[str, Any]:
            found = {}
            for name, fixture in fx.items():
                log(f"Service PDF and DOCX: {name}")
                found[name] = service_documents(fixture, runs, max(runs, 50))
            return found

        phase("documents", documents)
    if "largest" in only:
        from .largest import run as largest

        log("The largest submission of each form: pages, render time, peak RSS")
        phase("largest", lambda: largest(log))
    if "load" in only:
        from .load import smtp_server, throughput

        def load() -> dict[str, Any]:
            with smtp_server() as smtp:
                return throughput(
                    fx["ehfsa-8"],
                    smtp.url(),
                    clients=clients,
                    seconds=seconds,
                    workers=workers,
                    threads=threads,
                    log=log,
                    paced_rate=_env_float("BENCH_PACED_RATE", 100),
                )

        log("Submission throughput under gunicorn")
        phase("throughput", load)
    if "e2e" in only:
        from .load import end_to_end

        log("Submission → SMTP")
        phase(
            "end_to_end",
            lambda: end_to_end(
                fx["ehfsa-8"],
                rate=rate,
                seconds=seconds,
                burst=burst,
                workers=workers,
                threads=threads,
                log=log,
            ),
        )
    if "workspace" in only:
        import tempfile
        from pathlib import Path

        from .workspace import run as workspace

        def staff_pages() -> dict[str, Any]:
            with tempfile.TemporaryDirectory() as tmp:
                return workspace(Path(tmp), _env_int("BENCH_PAGE_RUNS", 100), log)

        log("Staff workspace pages at 20,000 families: SQLite and PostgreSQL")
        phase("workspace", staff_pages)
    if "lane" in only:
        from .isolation import lane

        log("A normal referral behind the largest ones (slow lane)")
        phase("lane", lambda: lane(_env_int("BENCH_LARGE", 10), log))
    if "slowloris" in only:
        from .isolation import slowloris

        log("Normal requests under 100 slow connections, with nginx and without")
        phase(
            "slowloris",
            lambda: slowloris(
                _env_int("BENCH_SLOW_REQUESTS", 40), _env_int("BENCH_SLOW_CONNECTIONS", 100), log
            ),
        )
    results["elapsed_seconds"] = round(time.time() - started, 1)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten to {path.relative_to(ROOT)} in {results['elapsed_seconds']} s")
    return 0


def _verdict(value: float, limit: float, *, higher_is_better: bool = False) -> str:
    if value != value:  # NaN
        return "n/a"
    if higher_is_better:
        return "met" if value >= limit else f"MISSED by {limit - value:.3g} ({value / limit:.0%})"
    if value <= limit:
        return "met"
    return f"MISSED by {value - limit:.3g}" + (f" (x{value / limit:.2f})" if limit else "")


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str]] = []
    if "pdf_comparison" in results:
        cmp = results["pdf_comparison"]
        for name, r in cmp["contenders"].items():
            rows.append(
                (
                    f"PDF {cmp['fixture']} {name}",
                    f"median {r['median_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms",
                    f"{r['pages']} pages, {r['bytes'] // 1024} KB",
                    "",
                )
            )
        targets = {
            "naive-weasyprint": 2 / 3,
            "chromium-cli": 1 / 5,
            "chromium": 1 / 5,
            "libreoffice": 1 / 20,
        }
        for key, ratio in cmp["ratios"].items():
            limit = targets[key.split("/", 1)[1]]
            rows.append(
                (
                    f"ratio {key} (median)",
                    f"{ratio:.3f}",
                    f"target ≤ {limit:.3f}",
                    _verdict(ratio, limit),
                )
            )
        for name, note in cmp["notes"].items():
            rows.append((f"PDF {name}", note, "", ""))
    for name, big in results.get("largest", {}).items():
        rows.append(
            (
                f"largest {name} PDF",
                f"{big['pdf_seconds']:.1f} s (first {big.get('pdf_seconds_first', 0):.1f} s), "
                f"{big['peak_rss_mb']:.0f} MB, {big['pages']} pages",
                "target ≤ 10 s and ≤ 300 MB",
                _verdict(max(big["pdf_seconds"] / 10, big["peak_rss_mb"] / 300), 1),
            )
        )
        rows.append(
            (
                f"largest {name} DOCX",
                f"{big['docx_seconds']:.2f} s",
                "target ≤ 2 s",
                _verdict(big["docx_seconds"], 2),
            )
        )
    for name, doc in results.get("documents", {}).items():
        pdf, docx = doc["pdf"], doc["docx"]
        rows.append(
            (
                f"PDF service {name}",
                f"median {pdf['median_ms']:.0f} ms, p95 {pdf['p95_ms']:.0f} ms",
                f"{pdf['pages']} pages",
                "",
            )
        )
        rows.append(
            (
                f"DOCX service {name}",
                f"median {docx['median_ms']:.1f} ms, p95 {docx['p95_ms']:.1f} ms",
                "target median ≤ 15 ms",
                _verdict(docx["median_ms"], 15),
            )
        )
    if "throughput" in results:
        tp = results["throughput"]
        for channel in ("all", "api", "web"):
            r = tp[channel]
            clients = sum(tp["clients"].values()) if channel == "all" else tp["clients"][channel]
            rows.append(
                (
                    f"submit {channel} ({clients} clients, {tp['seconds']:.0f} s)",
                    f"{r['per_second']}/s, p50 {r['median_ms']:.0f} / p95 "
                    f"{r['p95_ms']:.0f} / p99 {r['p99_ms']:.0f} ms",
                    f"{r['errors']} errors of {r['requests']}",
                    "",
                )
            )
        r = tp["all"]
        rows.append(
            (
                "target submissions/s ≥ 200",
                f"{r['per_second']}",
                "",
                _verdict(r["per_second"], 200, higher_is_better=True),
            )
        )
        rows.append(
            ("target submit p95 ≤ 100 ms", f"{r['p95_ms']:.0f} ms", "", _verdict(r["p95_ms"], 100))
        )
        rows.append(("target 0 errors", f"{r['errors']}", "", _verdict(r["errors"], 0)))
        pr = tp["paced"]
        rows.append(
            (
                f"submit paced at {pr['rate']:g}/s (API, open loop)",
                f"{pr['per_second']}/s, p50 {pr['median_ms']:.0f} / p95 "
                f"{pr['p95_ms']:.0f} / p99 {pr['p99_ms']:.0f} ms",
                f"{pr['errors']} errors of {pr['requests']}",
                _verdict(pr["p95_ms"], 100),
            )
        )
        rss = max((v for k, v in tp["peak_rss_mb"].items() if k != "master"), default=0)
        rows.append(
            ("worker peak RSS (throughput)", f"{rss:.0f} MB", "target ≤ 300 MB", _verdict(rss, 300))
        )
    if "lane" in results and "normal_delay_s" in results["lane"]:
        ln = results["lane"]
        rows.append(
            (
                f"normal referral behind {ln['large']} largest",
                f"{ln['normal_delay_s']:.2f} s to SMTP",
                f"target < 5 s; alone {ln.get('normal_alone_s', float('nan')):.2f} s; "
                f"{ln['large_arrived_first']} large arrived first",
                _verdict(ln["normal_delay_s"], 5),
            )
        )
    if "slowloris" in results and "nginx" in results["slowloris"]:
        sl = results["slowloris"]
        for name in ("nginx", "direct"):
            r = sl[name]
            rows.append(
                (
                    f"GET p95 under {sl['slow_connections']} slow clients, {name}",
                    f"{r['p95_s']:.3f} s (p50 {r['p50_s']:.3f} s)",
                    f"{r['failed']} of {r['requests']} unanswered in 30 s"
                    + ("; target < 1 s" if name == "nginx" else ""),
                    _verdict(r["p95_s"], 1) if name == "nginx" else "",
                )
            )
    if "end_to_end" in results:
        e2e = results["end_to_end"]
        st = e2e["steady"]
        lat = st["latency"]
        rows.append(
            (
                f"submission → SMTP at {st['rate']}/s",
                f"p50 {lat['median_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms",
                f"{st['delivered']}/{st['submitted']} delivered, "
                f"{st['missing_attachment']} missing attachments",
                _verdict(lat["p95_ms"], 2000),
            )
        )
        cap = e2e["capacity"]
        rows.append(
            (
                "max sustained submission → SMTP rate",
                f"{cap['max_sustained_per_second']}/s",
                f"{cap['delivered']}/{cap['submitted']} of a burst delivered",
                _verdict(cap["max_sustained_per_second"], st["rate"], higher_is_better=True),
            )
        )
        rss = max(
            (
                v
                for phase in ("peak_rss_mb_steady", "peak_rss_mb_capacity")
                for k, v in e2e[phase].items()
                if k != "master"
            ),
            default=0,
        )
        rows.append(
            ("worker peak RSS (rendering)", f"{rss:.0f} MB", "target ≤ 300 MB", _verdict(rss, 300))
        )
    for database, found in results.get("workspace", {}).items():
        for page, figure in found.get("pages", {}).items():
            if "p95_ms" not in figure:
                rows.append((f"staff {page} ({database})", str(figure), "", "n/a"))
                continue
            rows.append(
                (
                    f"staff {page} ({database}, 20k families)",
                    f"p50 {figure['median_ms']:.0f} ms, p95 {figure['p95_ms']:.0f} ms",
                    "target p95 ≤ 150 ms",
                    _verdict(figure["p95_ms"], 150),
                )
            )
        if "error" in found:
            rows.append((f"staff pages ({database})", found["error"][:120], "", "n/a"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)] if rows else [0] * 4
    for key, why in results.get("failed", {}).items():
        rows.append((f"{key}: FAILED", why[:120], "", ""))
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
