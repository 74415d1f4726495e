"""A build with a fault injected, run as a process of its own by tests/test_faults.py:

    python -m tests.faults kill <inbox> <warehouse> <when>
        SIGKILLs itself during the build: `stage:<name>` as that stage begins, `switch` after the finished release is
        renamed into place and before `current` is switched to it, `after:<seconds>` that long into the build, `never`
        not at all (prints the build's seconds).
    python -m tests.faults full-disk <inbox> <folder> <free bytes> ...
        in a size-limited folder: builds once, then fills the disk to leave each given number of bytes free and builds
        again; prints one JSON line of what each build gave and what was published around it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from etl import build as builder
from etl.warehouse_files import current_release, releases_dir

AS_OF = dt.date(2026, 11, 25)


def published_state(warehouse: Path) -> dict:
    """What a reader of `warehouse` can see: where `current` points, the releases, and every published file's hash."""
    link = warehouse / "current"
    release = current_release(warehouse)
    files = {}
    if release is not None:
        for path in sorted(release.rglob("*")):
            if path.is_file():
                files[str(path.relative_to(release))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"current": os.readlink(link) if link.is_symlink() else None,
            "releases": sorted(p.name for p in releases_dir(warehouse).iterdir()) if releases_dir(warehouse).is_dir() else [],
            "others": sorted(p.name for p in warehouse.iterdir() if p.name not in ("current", "releases", ".build.lock"))
            if warehouse.is_dir() else [],
            "files": files}


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill(inbox: Path, warehouse: Path, when: str) -> None:
    on_stage = None
    if when.startswith("stage:"):
        stage = when.removeprefix("stage:")
        on_stage = lambda begun: _die() if begun == stage else None  # noqa: E731
    elif when == "switch":
        rename = os.replace

        def replace_then_die(source, target, *args, **kwargs):
            rename(source, target, *args, **kwargs)
            if Path(target).parent.name == "releases":  # the release is in place; `current` not yet switched
                _die()

        builder.os.replace = replace_then_die
    elif when.startswith("after:"):
        threading.Timer(float(when.removeprefix("after:")), _die).start()
    started = time.perf_counter()
    builder.build(inbox, warehouse, as_of=AS_OF, on_stage=on_stage)
    print(json.dumps({"finished": True, "seconds": round(time.perf_counter() - started, 3)}), flush=True)


def full_disk(inbox: Path, folder: Path, free: list[int]) -> None:
    """In `folder` (a small filesystem of its own), one good build, then a build with only `n` bytes free for each n;
    then, with the space freed, a build that publishes."""
    warehouse = folder / "warehouse"
    report: dict = {"first": builder.build(inbox, warehouse, as_of=AS_OF).release, "attempts": []}
    for n in free:
        before = published_state(warehouse)
        filler = folder / "filler"
        _fill(folder, filler, n)
        attempt = {"free": n, "free_at_start": os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize}
        try:
            builder.build(inbox, warehouse, as_of=AS_OF)
            attempt["outcome"] = "published"
        except builder.BuildFailed as error:
            attempt["outcome"], attempt["message"] = "failed", str(error)
        except Exception as error:  # noqa: BLE001 - reported, for the test to show
            attempt["outcome"], attempt["message"] = type(error).__name__, str(error)[:500]
        attempt["unchanged"] = published_state(warehouse) == before
        attempt["left_behind"] = sorted(p.name for p in releases_dir(warehouse).iterdir() if p.name.startswith("."))
        filler.unlink()
        report["attempts"].append(attempt)
    report["after"] = builder.build(inbox, warehouse, as_of=AS_OF).release
    print(json.dumps(report), flush=True)


def _fill(folder: Path, filler: Path, leave: int) -> None:
    """Write zeros to `filler` until only `leave` bytes of the folder's filesystem are free."""
    stat = os.statvfs(folder)
    size = max(stat.f_bavail * stat.f_frsize - leave, 0)
    with open(filler, "wb") as out:
        block = b"\0" * (1 << 20)
        while size > 0:
            size -= out.write(block[:min(size, len(block))])


def main() -> None:
    mode, inbox, target, *rest = sys.argv[1:]
    if mode == "kill":
        kill(Path(inbox), Path(target), rest[0])
    elif mode == "full-disk":
        if os.environ.get("COVENANT_FILE_SIZE_LIMIT"):  # no filesystem of our own: the space allowed per file runs out
            limit = int(os.environ["COVENANT_FILE_SIZE_LIMIT"])
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
            import resource

            warehouse = Path(target) / "warehouse"
            first = builder.build(Path(inbox), warehouse, as_of=AS_OF).release
            before = published_state(warehouse)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
            attempt = {"free": limit}
            try:
                builder.build(Path(inbox), warehouse, as_of=AS_OF)
                attempt["outcome"] = "published"
            except builder.BuildFailed as error:
                attempt["outcome"], attempt["message"] = "failed", str(error)
            attempt["unchanged"] = published_state(warehouse) == before
            attempt["left_behind"] = sorted(p.name for p in releases_dir(warehouse).iterdir() if p.name.startswith("."))
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            after = builder.build(Path(inbox), warehouse, as_of=AS_OF).release
            print(json.dumps({"first": first, "attempts": [attempt], "after": after}), flush=True)
        else:
            full_disk(Path(inbox), Path(target), [int(n) for n in rest])
    else:
        raise SystemExit(f"unknown mode {mode!r}: expected kill or full-disk")


if __name__ == "__main__":
    main()
