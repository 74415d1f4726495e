"""Many small files: the build's memory and time as the number of files grows (an inbox of 50,000 one-grant files
once took 3 GB, each file's rows held as Arrow tables of their own until 250,000 rows had gathered).

    .venv/bin/python -m benchmarks.many_files [--files 5000 50000] [--work /tmp/covenant-many-files] [--out benchmarks/results]

For each count it writes an inbox of that many 360Giving CSV files of one grant each (kept for the next run), builds
it in a process of its own (benchmarks/measure.py's build step: wall time and the peak memory of the process and its
children), and writes many-files.json and many-files.md in --out: each count's seconds and peak, and the memory and
time each further thousand files adds. It is not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from benchmarks.run import machine, step
from tests.conftest import InboxFactory, grant


def inbox_of(files: int, work: Path) -> Path:
    folder = work / f"{files}" / "inbox"
    if not (folder / "funding" / f"grants-{files - 1:06d}.csv").is_file():
        inbox = InboxFactory(folder)
        for n in range(files):
            inbox.funding_csv(f"grants-{n:06d}.csv", [grant(f"360G-MANY-{n:06d}")])
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description="The build's memory and time over many small files.")
    parser.add_argument("--files", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/covenant-many-files"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    runs = []
    for files in args.files:
        inbox = inbox_of(files, args.work)
        report = step("build", inbox=str(inbox), warehouse=str(args.work / f"{files}" / "warehouse"))
        runs.append({"files": files, "seconds": report.get("seconds"), "peak_mb": report.get("peak_mb"),
                     "error": report.get("error")})
    result = {"date": dt.date.today().isoformat(), "machine": machine(), "runs": runs,
              "command": "python -m benchmarks.many_files --files " + " ".join(map(str, args.files))}
    lines = [f"# Many small files, {result['date']}", "", f"Command: `{result['command']}`. Machine: "
             f"{result['machine']['cpus']} CPUs, {result['machine']['memory_gib']} GiB.", "",
             "| Files (one grant each) | Build | Peak memory |", "|---:|---:|---:|"]
    lines += [f"| {r['files']:,} | {r['seconds']} s | {r['peak_mb']:,} MB |" if not r["error"] else
              f"| {r['files']:,} | failed: {r['error'][:80]} | |" for r in runs]
    done = [r for r in runs if not r["error"]]
    if len(done) >= 2:
        first, last = done[0], done[-1]
        more = (last["files"] - first["files"]) / 1000
        lines += ["", f"Each further 1,000 files adds {(last['peak_mb'] - first['peak_mb']) / more:,.1f} MB and "
                      f"{(last['seconds'] - first['seconds']) / more:,.1f} s."]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "many-files.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (args.out / "many-files.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
