"""The benchmark: speed, memory and scale, against the floor and naive baselines, measured in one run.

    .venv/bin/python -m benchmarks.run [--sizes 100000 1000000 10000000] [--work /tmp/covenant-bench]   (make bench)

For each size (awards, with organisations, returns and issues in proportion) it generates the demo inbox, then runs
each measured step in a process of its own (benchmarks/measure.py): the build, stage by stage; the floor; the naive
pipeline; every dashboard page's server-side time, default and filtered; a real browser's first chart and the
dashboard process's memory; the naive dashboard. It writes benchmarks/results/latest.json and latest.md, with the
machine, the versions, the figures, the ratios and each target met or missed. It is not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from benchmarks.measure import PAGES as PAGE_NAMES
from etl.build import STAGES as STAGE_NAMES

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
STEP_TIMEOUT = 3 * 3600  # seconds; a step still running then is reported as failed
NAIVE_TIMEOUT = 20 * 60  # the naive baselines get 20 minutes a size: one that has not finished by then has failed
NAIVE_MEMORY_CAP = 20 * 1024**3  # bytes of address space for the naive baselines: past this they fail, as a result
PACKAGES = ("duckdb", "polars", "streamlit", "plotly", "great-expectations", "pandas", "pyarrow", "playwright")


def step(name: str, memory_cap: int | None = None, timeout: int = STEP_TIMEOUT, **arguments) -> dict:
    """Run one measured step in its own process; its JSON report (or why it failed)."""
    command = [sys.executable, "-m", "benchmarks.measure", name, json.dumps(arguments)]

    def cap() -> None:
        import resource

        if memory_cap:
            resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))

    print(f"  {name} …", flush=True)
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, preexec_fn=cap)
    except subprocess.TimeoutExpired:
        print(f"    still running after {timeout} s: stopped", flush=True)
        return {"step": name, "error": f"not finished within {timeout // 60} minutes"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"step": name, "error": f"exit {done.returncode}: {done.stderr.strip()[-400:]}"}
    report = json.loads(lines[-1])
    print(f"    {report.get('seconds')} s, {report.get('peak_mb')} MB peak" + (f"; {report['error']}" if report.get("error") else ""),
          flush=True)
    return report


def machine() -> dict:
    with open("/proc/meminfo", encoding="ascii") as info:
        memory = int(next(line for line in info if line.startswith("MemTotal")).split()[1]) / 1024**2
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpus": os.cpu_count(), "memory_gib": round(memory, 1), "python": platform.python_version(),
            "system": platform.platform(), "versions": versions}


def measure_size(awards: int, work: Path, only: list[str] | None = None) -> dict:
    folder = work / f"{awards}"
    inbox, warehouse = folder / "inbox", folder / "warehouse"
    print(f"{awards:,} awards in {folder}", flush=True)
    figures: dict = {"awards": awards}
    if not (inbox / "demo.json").is_file() or json.loads((inbox / "demo.json").read_text()).get("awards") != awards:
        figures["demo"] = step("demo", inbox=str(inbox), awards=awards)
    figures["build"] = step("build", inbox=str(inbox), warehouse=str(warehouse))
    database = str(warehouse / "current" / "covenant.duckdb")
    figures["combinations"] = step("combinations", warehouse=str(warehouse))
    if only:  # the demo and build, and the steps asked for
        return figures
    figures["floor"] = step("floor", inbox=str(inbox))
    figures["naive_pipeline"] = step("naive_pipeline", memory_cap=NAIVE_MEMORY_CAP, timeout=NAIVE_TIMEOUT, inbox=str(inbox),
                                     database=str(folder / "naive.duckdb"), warehouse_db=database)
    figures["pages"] = step("pages", warehouse=str(warehouse))
    figures["browser"] = step("browser", warehouse=str(warehouse))
    figures["naive_dashboard"] = step("naive_dashboard", memory_cap=NAIVE_MEMORY_CAP, timeout=NAIVE_TIMEOUT, inbox=str(inbox))
    return figures


# --- the report ---------------------------------------------------------------------------------------------------

def _ratio(a, b) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _gb(mb) -> str:
    return f"{mb / 1024:.2f} GB" if mb else "–"


def _s(report: dict, key: str = "seconds") -> str:
    if report.get("error"):
        return f"failed ({report['error'][:60]})"
    return f"{report[key]:,.1f} s" if report.get(key) is not None else "–"


def targets(sizes: list[dict]) -> list[tuple[str, str, bool | None]]:
    """Each target of the issue with the measured figure and whether it is met (None: not measured)."""
    by = {s["awards"]: s for s in sizes}
    rows = []
    one, ten = by.get(1_000_000), by.get(10_000_000)
    if one and not one["build"].get("error"):
        b, n = one["build"], one.get("naive_pipeline") or {"error": "not measured"}
        rows.append(("Build, 1M awards: ≤ 20 s", f"{b['seconds']:.1f} s", b["seconds"] <= 20))
        rows.append(("Build, 1M awards: ≤ 1.5 GB peak", _gb(b["peak_mb"]), b["peak_mb"] <= 1536))
        if not n.get("error"):
            rows.append(("Build, 1M: no slower than the naive pipeline", f"{b['seconds']:.1f} s vs {n['seconds']:.1f} s",
                         b["seconds"] <= n["seconds"]))
            rows.append(("Build, 1M: at most half the naive pipeline's peak memory",
                         f"{_gb(b['peak_mb'])} vs {_gb(n['peak_mb'])}", b["peak_mb"] <= n["peak_mb"] / 2))
    if ten and not ten["build"].get("error"):
        b = ten["build"]
        rows.append(("Build, 10M awards: ≤ 150 s", f"{b['seconds']:.1f} s", b["seconds"] <= 150))
        rows.append(("Build, 10M awards: ≤ 4 GB peak", _gb(b["peak_mb"]), b["peak_mb"] <= 4096))
        if one and not one["build"].get("error"):
            growth = b["seconds"] / one["build"]["seconds"]
            rows.append(("Build grows no worse than linearly from 1M to 10M (≤ 10×)", f"{growth:.1f}×", growth <= 10))
    combined = [s for s in sizes if s.get("combinations") and not s["combinations"].get("error")]
    if combined:
        largest = combined[-1]
        page, ms = max(largest["combinations"]["page_ms"].items(), key=lambda kv: kv[1]["slowest"])
        rows.append((f"Every page ≤ 300 ms server-side with two or three filters and a range of quarters ({largest['awards']:,} awards)",
                     f"slowest {page}: {ms['slowest']} ms (median {ms['median']} ms)", ms["slowest"] <= 300))
    largest = sizes[-1] if sizes else None
    if largest and largest.get("pages") and not largest["pages"].get("error"):
        slowest = max(largest["pages"]["page_ms"].items(), key=lambda kv: kv[1])
        rows.append((f"Every page ≤ 300 ms server-side, default and filtered ({largest['awards']:,} awards)",
                     f"slowest {slowest[0]}: {slowest[1]} ms", slowest[1] <= 300))
        naive = largest.get("naive_dashboard") or {"error": "not measured"}
        if not naive.get("error"):
            ours = max(largest["pages"]["page_ms"].values())
            theirs = max(naive["view_ms"].values())
            rows.append(("Pages ≥ 10× faster than the naive dashboard (slowest against slowest)",
                         f"{ours} ms vs {theirs} ms", theirs >= 10 * ours))
            server = largest["browser"].get("server_mb") or largest["pages"]["process_mb"]
            rows.append(("Dashboard process ≤ a fifth of the naive dashboard's memory",
                         f"{server} MB vs {naive['process_mb']} MB", server <= naive["process_mb"] / 5))
    charted = [s for s in sizes if not s.get("browser", {"error": "not measured"}).get("error")]
    if charted:  # judged at every size: the slowest median, and the slowest single start said beside it
        slowest = max(charted, key=lambda s: s["browser"]["first_chart_seconds"])
        worst = max(charted, key=lambda s: _slowest_start(s["browser"]))
        rows.append(("Start to first chart in a real browser ≤ 3 s (median of the server's starts, slowest size)",
                     f"{slowest['browser']['first_chart_seconds']} s at {slowest['awards']:,} awards; slowest single start "
                     f"{_slowest_start(worst['browser'])} s at {worst['awards']:,}", slowest["browser"]["first_chart_seconds"] <= 3))
    return rows


def _slowest_start(browser: dict) -> float:
    """The slowest first view over the server's starts (results made before the step was repeated have one)."""
    return max(browser.get("first_chart_runs") or [browser["first_chart_seconds"]])


def _first_chart(browser: dict) -> str:
    """'2.6 s (2.4 to 2.9 s over 3 starts; a later view 2.5 s)', or the single figures of results made before the
    browser step was repeated."""
    runs = browser.get("first_chart_runs")
    spread = f"{min(runs)} to {max(runs)} s over {len(runs)} starts; " if runs else ""
    return f"{browser['first_chart_seconds']} s ({spread}a later view {browser['first_chart_again_seconds']} s)"


def combined_lines(sizes: list[dict]) -> list[str]:
    """The report's section on pages with combined filters (the combinations step), with how the time grows."""
    combined = [s for s in sizes if s.get("combinations")]
    if not combined:
        return []
    lines = ["", "## Pages with combined filters, server-side (ms): median / slowest of the random views", "",
             "Each filtered page, cold (every query's cache emptied), over the same random views at every size: "
             f"{len(combined[0]['combinations'].get('views', []))} views, half with two filters and half with three, "
             "each over a random range of quarters (benchmarks/measure.py, combination_views).", "",
             "| Awards | " + " | ".join(combined[0]["combinations"].get("page_ms", {})) + " |",
             "|---:|" + "---:|" * len(combined[0]["combinations"].get("page_ms", {}))]
    for s in combined:
        c = s["combinations"]
        lines.append(f"| {s['awards']:,} | " + (" | ".join(f"{ms['median']} / {ms['slowest']}" for ms in c["page_ms"].values())
                                                if not c.get("error") else f"failed: {c['error'][:80]}") + " |")
    if len(combined) > 1 and not any(s["combinations"].get("error") for s in combined):
        first, last = combined[0], combined[-1]
        growth = {page: last["combinations"]["page_ms"][page]["median"] / max(1, ms["median"])
                  for page, ms in first["combinations"]["page_ms"].items()}
        lines += ["", f"Growth of the median from {first['awards']:,} to {last['awards']:,} awards "
                  f"({last['awards'] / first['awards']:.0f}× the data): "
                  + ", ".join(f"{page} {g:.2f}×" for page, g in growth.items()) + "."]
    return lines


def combined_markdown(result: dict) -> str:
    """The report of a run of the combinations step alone (--only combinations)."""
    m = result["machine"]
    lines = [f"# Combined filters, {result['date']}", "",
             f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB, Python {m['python']}. Command: `{result['command']}`", "",
             "| Target | Measured | Met |", "|---|---|---|"]
    lines += [f"| {name} | {figure} | {'yes' if met else 'no'} |" for name, figure, met in result["targets"]]
    lines += [f"", "Builds: " + "; ".join(f"{s['awards']:,} awards {_s(s['build'])}, peak {_gb(s['build'].get('peak_mb'))}"
                                         for s in result["sizes"]) + "."]
    return "\n".join(lines + combined_lines(result["sizes"])) + "\n"


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [f"# Benchmark results, {result['date']}", "",
             f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB, Python {m['python']}, {m['system']}. Versions: "
             + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v) + ".", "",
             f"Command: `{result['command']}`", "", "## Targets", "", "| Target | Measured | Met |", "|---|---|---|"]
    lines += [f"| {name} | {figure} | {'yes' if met else 'no' if met is False else '–'} |" for name, figure, met in result["targets"]]
    lines += ["", "## Build against the floor and the naive pipeline", "",
              "| Awards | Build | Peak | Floor | Floor peak | Naive pipeline | Naive peak | Build ÷ floor | Build ÷ naive | Peak ÷ naive peak |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in result["sizes"]:
        b, f, n = s["build"], s["floor"], s["naive_pipeline"]
        lines.append(f"| {s['awards']:,} | {_s(b)} | {_gb(b.get('peak_mb'))} | {_s(f)} | {_gb(f.get('peak_mb'))} | {_s(n)} | "
                     f"{_gb(n.get('peak_mb')) if not n.get('error') else '–'} | {_ratio(b.get('seconds'), f.get('seconds'))} | "
                     f"{_ratio(b.get('seconds'), n.get('seconds') if not n.get('error') else None)} | "
                     f"{_ratio(b.get('peak_mb'), n.get('peak_mb') if not n.get('error') else None)} |")
    lines += ["", "## Build stage by stage", "", "| Awards | " + " | ".join(STAGE_NAMES) + " |", "|---:|" + "---:|" * len(STAGE_NAMES)]
    for s in result["sizes"]:
        b = s["build"]
        if b.get("error"):
            continue
        lines.append(f"| {s['awards']:,} | " + " | ".join(
            f"{b['stage_seconds'].get(k, 0):.1f} s, {_gb(b['stage_peak_mb'].get(k))}" for k in STAGE_NAMES) + " |")
    lines += ["", "## Dashboard pages, server-side (ms): cold (first view) / warm", "",
              "| Awards | Page | Default | Filtered | Naive dashboard, default | Naive, filtered |", "|---:|---|---:|---:|---:|---:|"]
    for s in result["sizes"]:
        p, nd = s["pages"], s["naive_dashboard"]
        if p.get("error"):
            lines.append(f"| {s['awards']:,} | all | {p['error'][:80]} | | | |")
            continue
        for page in PAGE_NAMES:
            ms = p["page_ms"]
            naive = nd.get("view_ms", {}) if not nd.get("error") else {}
            lines.append(f"| {s['awards']:,} | {page} | {ms[f'{page}/default/cold']} / {ms[f'{page}/default/warm']} | "
                         f"{ms[f'{page}/filtered/cold']} / {ms[f'{page}/filtered/warm']} | "
                         f"{naive.get(f'{page}/default', '–')} | {naive.get(f'{page}/filtered', '–')} |")
    lines += combined_lines(result["sizes"])
    lines += ["", "## Dashboard process", "",
              "| Awards | First chart in Chromium, median of the server's starts (range; a later view) | Dashboard process after every page | Naive dashboard process | Naive dashboard load |",
              "|---:|---:|---:|---:|---:|"]
    for s in result["sizes"]:
        b, nd = s["browser"], s["naive_dashboard"]
        lines.append(f"| {s['awards']:,} | {_first_chart(b) if not b.get('error') else 'failed: ' + b['error'][:60]} | "
                     f"{b.get('server_mb', '–')} MB | "
                     + (f"{nd['process_mb']} MB | {nd['load_seconds']} s |" if not nd.get("error") else f"failed: {nd['error'][:60]} | |"))
    if result.get("notes"):  # what the figures cannot say themselves (the machine busy with other work, say)
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def merged(earlier: dict, later: dict) -> dict:
    """`later`'s sizes with those of `earlier` it did not measure, in order of size; both commands recorded."""
    measured = {s["awards"] for s in later["sizes"]}
    kept = [s for s in earlier["sizes"] if s["awards"] not in measured]
    return later | {"sizes": sorted(kept + later["sizes"], key=lambda s: s["awards"]),
                    "command": f"{earlier['command']} ({earlier['date']}), then {later['command']} ({later['date']})"
                    if kept else later["command"]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Speed, memory and scale, against the floor and naive baselines.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/covenant-bench"), help="where inboxes and warehouses go")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep-other-sizes", action="store_true",
                        help="keep the sizes of the results already in OUT that this run does not measure")
    parser.add_argument("--render", action="store_true",
                        help="write OUT/latest.md again from OUT/latest.json (after notes were added to its \"notes\" list)")
    parser.add_argument("--only", choices=["combinations"],
                        help="the demo, the build and this step alone, reported in OUT/combined-filters.md")
    args = parser.parse_args()
    if args.render:
        result = json.loads((args.out / "latest.json").read_text(encoding="utf-8"))
        (args.out / "latest.md").write_text(markdown(result), encoding="utf-8")
        return
    if args.only:
        sizes = [measure_size(n, args.work, only=[args.only]) for n in args.sizes]
        result = {"date": dt.date.today().isoformat(), "machine": machine(), "sizes": sizes,
                  "command": f"python -m benchmarks.run --only {args.only} --sizes " + " ".join(map(str, args.sizes))}
        if args.keep_other_sizes and (args.out / "combined-filters.json").is_file():
            result = merged(json.loads((args.out / "combined-filters.json").read_text(encoding="utf-8")), result)
        result["targets"] = [t for t in targets(result["sizes"]) if "filters" in t[0]]
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "combined-filters.json").write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
        (args.out / "combined-filters.md").write_text(combined_markdown(result), encoding="utf-8")
        print(combined_markdown(result))
        return
    sizes = [measure_size(n, args.work) for n in args.sizes]
    result = {"date": dt.date.today().isoformat(), "command": "python -m benchmarks.run --sizes " + " ".join(map(str, args.sizes)),
              "machine": machine(), "sizes": sizes}
    if args.keep_other_sizes and (args.out / "latest.json").is_file():
        result = merged(json.loads((args.out / "latest.json").read_text(encoding="utf-8")), result)
    result["targets"] = targets(result["sizes"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    (args.out / "latest.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
