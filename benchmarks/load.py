"""Load: many dashboard sessions at once on the real server, over a warehouse of any size.

    .venv/bin/python -m benchmarks.load --warehouse W [--sessions 20] [--rounds 3] [--think 0] [--out benchmarks/results]

Serves W with `streamlit run dashboard/app.py` and drives it without a browser, speaking Streamlit's websocket
protocol as its frontend does (tests/load/session.py). A lone session first views every page, default and filtered,
twice (the first time fills the caches, the second is what one reader alone waits); then `--sessions` sessions,
connected together and started at once, each view every page, default and filtered, `--rounds` times (each starting
at a different page, so that the pages are mixed). A view's time is the server's: from asking for the page to
Streamlit's script_finished, and so includes waiting for the other sessions' runs.

Writes load-<awards>.json and load-<awards>.md in --out: per page and state the p50, p95 and max seconds of a view
across the sessions, against the 300 ms target; the views, their errors, the throughput and the server's CPU time per
view; the server's memory before, after the lone session, after the sessions and at its peak; the caches' sizes.
It is not a test: it asserts nothing (tests/test_load.py does, at a small scale).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb

from benchmarks.run import machine
from etl.warehouse_files import published_database
from tests.browser.harness import PAGES, served_process, url_path
from tests.load.session import (
    Session,
    View,
    answers,
    cache_sizes,
    process_memory,
    run_sessions,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TARGET_SECONDS = 0.3  # the benchmark issue's page target: 300 ms server-side per page view
FILTERED = "body_type=local_authority&region=E12000003"
STATES = {"default": "", "filtered": FILTERED}
VIEW_TIMEOUT = 300.0  # seconds a view may take before it counts as failed


EVERY_VIEW = [(url_path(page), query) for page in PAGES for query in STATES.values()]
PAGE_OF = {url_path(page): page for page in PAGES}
STATE_OF = {query: state for state, query in STATES.items()}


def awards_in(warehouse: Path) -> int:
    database = published_database(warehouse)
    if database is None:
        raise SystemExit(f"nothing is published in {warehouse}: run `covenant build --warehouse {warehouse}` first")
    connection = duckdb.connect(str(database), read_only=True)
    try:
        return connection.execute("select count(*) from marts.awards").fetchone()[0]
    finally:
        connection.close()


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mixed_views(session: int) -> list[tuple[str, str]]:
    """Every view, starting at a different one for each session."""
    start = session % len(EVERY_VIEW)
    return EVERY_VIEW[start:] + EVERY_VIEW[:start]


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` fall (linear between the nearest ranks)."""
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def page_figures(lone_first: dict, lone_again: dict, views: list[View]) -> list[dict]:
    rows = []
    for path, query in EVERY_VIEW:
        seconds = [v.seconds for v in views if (v.url_path, v.query) == (path, query) and v.exception is None]
        row = {"page": PAGE_OF[path], "state": STATE_OF[query],
               "alone_first_s": round(lone_first[(path, query)].seconds, 3),
               "alone_again_s": round(lone_again[(path, query)].seconds, 3), "views": len(seconds)}
        if seconds:
            row |= {"p50_s": round(statistics.median(seconds), 3), "p95_s": round(percentile(seconds, 0.95), 3),
                    "max_s": round(max(seconds), 3), "met": max(seconds) <= TARGET_SECONDS}
        rows.append(row)
    return rows


def measure(warehouse: Path, sessions: int, rounds: int, timeout: float, think: float = 0.0) -> dict:
    awards = awards_in(warehouse)
    print(f"{awards:,} awards in {warehouse}; {sessions} sessions × {len(EVERY_VIEW)} views × {rounds} rounds", flush=True)
    with served_process(warehouse) as server:
        pid = server.process.pid
        started_memory = process_memory(pid)
        with Session(server.base, timeout=timeout) as tab:
            lone_first = {(path, query): tab.view(path, query) for path, query in EVERY_VIEW}
            lone_again = {(path, query): tab.view(path, query) for path, query in EVERY_VIEW}
        warm_memory = process_memory(pid)
        print(f"  alone: slowest view {max(v.seconds for v in lone_again.values()):.2f} s (warm)", flush=True)
        cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
        views = run_sessions(server.base, mixed_views, sessions=sessions, rounds=rounds, timeout=timeout, think=think)
        wall, cpu = time.perf_counter() - wall_before, cpu_seconds(pid) - cpu_before
        after_memory = process_memory(pid)
        responsive = answers(server.base)
        caches = cache_sizes(server.base) if responsive else {}
        log_tail = server.output(3000)
    failed = [v for v in views if v.exception]
    lone_failed = [v for v in (*lone_first.values(), *lone_again.values()) if v.exception]
    finished = [v.seconds for v in views if v.exception is None]
    print(f"  {len(views)} views in {wall:.0f} s, {len(failed)} failed; slowest {max(finished, default=0):.2f} s", flush=True)
    return {
        "date": dt.date.today().isoformat(), "machine": machine(), "awards": awards, "warehouse": str(warehouse),
        "command": " ".join(["python -m benchmarks.load", *sys.argv[1:]]),
        "sessions": sessions, "rounds": rounds, "views_per_session_round": len(EVERY_VIEW), "think_s": think,
        "target_s": TARGET_SECONDS, "filtered_query": FILTERED,
        "views": len(views), "expected_views": sessions * rounds * len(EVERY_VIEW), "errors": len(failed),
        "error_examples": sorted({f"/{v.url_path}?{v.query}: {v.exception}" for v in failed})[:10],
        "lone_errors": sorted({f"/{v.url_path}?{v.query}: {v.exception}" for v in lone_failed})[:10],
        "wall_s": round(wall, 1), "views_per_s": round(len(views) / wall, 2) if wall else None,
        "server_cpu_s_per_view": round(cpu / len(finished), 3) if finished else None,
        "all_views": {"p50_s": round(statistics.median(finished), 3) if finished else None,
                      "p95_s": round(percentile(finished, 0.95), 3) if finished else None,
                      "max_s": round(max(finished), 3) if finished else None},
        "pages": page_figures(lone_first, lone_again, views),
        "server_mb": {"started": round(started_memory.rss / 1024**2), "after_lone_session": round(warm_memory.rss / 1024**2),
                      "after_sessions": round(after_memory.rss / 1024**2), "peak": round(after_memory.peak / 1024**2)},
        "caches": caches, "server_answers_after": responsive, "server_log_tail": log_tail if failed else "",
    }


def _met(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "no")


def markdown(result: dict) -> str:
    machine_info, memory, every = result["machine"], result["server_mb"], result["all_views"]
    versions = ", ".join(f"{k} {v}" for k, v in machine_info["versions"].items() if v)
    sessions, rounds, target_ms = result["sessions"], result["rounds"], round(result["target_s"] * 1000)
    slowest = max((row for row in result["pages"] if "max_s" in row), key=lambda row: row["max_s"], default=None)
    if slowest:
        within = every["max_s"] <= result["target_s"] and not result["errors"]
        speed = (f"slowest {every['max_s']} s ({slowest['page']}/{slowest['state']}), p95 {every['p95_s']} s, "
                 f"p50 {every['p50_s']} s")
    else:
        within, speed = False, "no view finished"
    complete = not result["errors"] and result["views"] == result["expected_views"]
    lines = [
        f"# Load: {sessions} dashboard sessions at once, {result['awards']:,} awards, {result['date']}",
        "",
        (f"Machine: {machine_info['cpus']} CPUs, {machine_info['memory_gib']} GiB, Python {machine_info['python']}, "
         f"{machine_info['system']}. Versions: {versions}."),
        "",
        f"Command: `{result['command']}`",
        "",
        (f"Each of {sessions} sessions, connected together and started at once, viewed every page, default and "
         f"filtered (`{result['filtered_query']}`), {rounds} times, each session starting at a different page, "
         + (f"pausing {result['think_s']} s between views on average (as a reader reads). " if result["think_s"] else
            "asking for its next view as soon as the last finished (no pause: the heaviest load). ")
         + "A view's time is the server's, from asking for the page to Streamlit's script_finished, so it includes "
         "the wait for the other sessions' runs."),
        "",
        "## Targets",
        "",
        "| Target | Measured | Met |",
        "|---|---|---|",
        f"| Every view ≤ {target_ms} ms server-side with {sessions} sessions at once | {speed} | {_met(within)} |",
        (f"| Every view finishes with no error | {result['errors']} errors in {result['views']:,} views "
         f"(of {result['expected_views']:,}) | {_met(complete)} |"),
        "",
        "## Views by page (seconds)",
        "",
        (f"Alone: one session by itself, the first view (cold caches) and again. At once: across the {sessions} "
         f"sessions × {rounds} rounds."),
        "",
        f"| Page | State | Alone, first | Alone, again | At once: p50 | p95 | max | Max ≤ {target_ms} ms |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in result["pages"]:
        lines.append(f"| {row['page']} | {row['state']} | {row['alone_first_s']} | {row['alone_again_s']} | "
                     f"{row.get('p50_s', '–')} | {row.get('p95_s', '–')} | {row.get('max_s', '–')} | {_met(row.get('met'))} |")
    caches = ", ".join(f"`{name}` {size:,.0f}" for name, size in result["caches"].items()) or "not read"
    lines += [
        "",
        "## Throughput and memory",
        "",
        (f"- {result['views']:,} views in {result['wall_s']} s: {result['views_per_s']} views a second; the server "
         f"spent {result['server_cpu_s_per_view'] or '–'} s of CPU per view that finished."),
        (f"- Server memory (RSS): {memory['started']} MB when started, {memory['after_lone_session']} MB after the "
         f"lone session, {memory['after_sessions']} MB after the sessions; peak {memory['peak']} MB."),
        f"- Caches (Streamlit's /_stcore/metrics): {caches} (bytes for st.cache_data, entries for st.cache_resource).",
    ]
    if not result["server_answers_after"]:
        lines += ["", "**The server no longer answered its health check after the sessions: it had hung.**"]
    if result["error_examples"] or result["lone_errors"]:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in result["lone_errors"] + result["error_examples"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a warehouse folder with a published release")
    parser.add_argument("--sessions", type=int, default=20, help="sessions at once (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="times each session views every page (default 3)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a session pauses between views, as a reader reads (default 0: none)")
    parser.add_argument("--timeout", type=float, default=VIEW_TIMEOUT, help="seconds before a view counts as failed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write load-<awards>.json and .md")
    args = parser.parse_args()
    result = measure(args.warehouse, args.sessions, args.rounds, args.timeout, args.think)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"load-{result['awards']}"
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (args.out / f"{name}.md").write_text(markdown(result), encoding="utf-8")
    print(f"wrote {args.out / name}.json and .md", flush=True)


if __name__ == "__main__":
    main()
