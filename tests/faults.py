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
from collections.abc import Callable
from pathlib import Path

from etl import build as builder
from etl import release as publishing
from etl.warehouse_files import PUBLISHED_LOG, current_release, releases_dir

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
            "releases": sorted(p.name for p in releases_dir(warehouse).iterdir() if p.name != PUBLISHED_LOG)
            if releases_dir(warehouse).is_dir() else [],
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
            if Path(target).parent == releases_dir(warehouse):  # the release is in place; `current` not yet switched
                _die()

        publishing.os.replace = replace_then_die  # the os module the publish step renames with
    elif when.startswith("after:"):
        threading.Timer(float(when.removeprefix("after:")), _die).start()
    started = time.perf_counter()
    builder.build(inbox, warehouse, as_of=AS_OF, on_stage=on_stage)
    print(json.dumps({"finished": True, "seconds": round(time.perf_counter() - started, 3)}), flush=True)


def full_disk(inbox: Path, folder: Path, squeezes: list[tuple[int, Callable[[], None], Callable[[], None]]]) -> None:
    """In `folder`: one good build, then for each (bytes, squeeze, release) a build after `squeeze()` has left that
    little room, then `release()`; last, with the room back, a build that publishes. Prints one JSON line."""
    warehouse = folder / "warehouse"
    report: dict = {"first": builder.build(inbox, warehouse, as_of=AS_OF).release, "attempts": []}
    for room, squeeze, release in squeezes:
        before = published_state(warehouse)
        squeeze()
        attempt = {"free": room}
        try:
            builder.build(inbox, warehouse, as_of=AS_OF)
            attempt["outcome"] = "published"
        except builder.BuildFailed as error:
            attempt["outcome"], attempt["message"] = "failed", str(error)
        except Exception as error:  # noqa: BLE001 - reported, for the test to show
            attempt["outcome"], attempt["message"] = type(error).__name__, str(error)[:500]
        release()
        attempt["unchanged"] = published_state(warehouse) == before
        attempt["left_behind"] = sorted(p.name for p in releases_dir(warehouse).iterdir() if p.name.startswith(".building-"))
        report["attempts"].append(attempt)
    report["after"] = builder.build(inbox, warehouse, as_of=AS_OF).release
    print(json.dumps(report), flush=True)


def filled(folder: Path, leave: int) -> tuple[int, Callable[[], None], Callable[[], None]]:
    """Filling the folder's own filesystem with zeros until only `leave` bytes are free, and emptying it again."""
    filler = folder / "filler"

    def fill() -> None:
        stat = os.statvfs(folder)
        size = max(stat.f_bavail * stat.f_frsize - leave, 0)
        with open(filler, "wb") as out:
            block = b"\0" * (1 << 20)
            while size > 0:
                size -= out.write(block[:min(size, len(block))])

    return leave, fill, lambda: filler.unlink()


def file_size_limit(limit: int) -> tuple[int, Callable[[], None], Callable[[], None]]:
    """Where there is no filesystem of our own: a limit on the size of any one file written (EFBIG past it)."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
    return (limit, lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY)),
            lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)))


def main() -> None:
    mode, inbox, target, *rest = sys.argv[1:]
    if mode == "kill":
        kill(Path(inbox), Path(target), rest[0])
    elif mode == "full-disk":
        limit = os.environ.get("COVENANT_FILE_SIZE_LIMIT")
        squeezes = [file_size_limit(int(limit))] if limit else [filled(Path(target), int(n)) for n in rest]
        full_disk(Path(inbox), Path(target), squeezes)
    else:
        raise SystemExit(f"unknown mode {mode!r}: expected kill or full-disk")


if __name__ == "__main__":
    main()
