"""Faults: a build killed (SIGKILL) at each stage, and at moments within them, leaves the published warehouse
byte-identical and the dashboard serving it, and the next build ends as an uninterrupted one does; a build that
runs out of disk says so and keeps the old warehouse. Each faulty build is a process of its own (tests/faults.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl.build import STAGES, build
from etl.warehouse_files import published_database, releases_dir
from tests.conftest import AS_OF, InboxFactory, release_names
from tests.faults import published_state
from tests.test_build import contents, write_awkward_inbox

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
KILLED_AT = [f"stage:{stage}" for stage in STAGES]
TIMED_KILLS = (0.1, 0.25, 0.4, 0.5)  # fractions of an uninterrupted build's time: a later build may run faster (a busy machine)


def faulty_build(*arguments: str, timeout: int = 600, wrap: list[str] | None = None, env: dict | None = None):
    command = [*(wrap or []), sys.executable, "-m", "tests.faults", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=os.environ | (env or {}))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    factory = InboxFactory(tmp_path_factory.mktemp("faults") / "inbox")
    write_awkward_inbox(factory)  # every source: funding, organisations, issues, a return, a rejected file
    return factory.path


@pytest.fixture(scope="module")
def uninterrupted(inbox: Path, tmp_path_factory) -> tuple[dict, float]:
    """An uninterrupted build of the inbox, in a process like the faulty ones: its contents and its seconds."""
    warehouse = tmp_path_factory.mktemp("uninterrupted")
    done = faulty_build("kill", str(inbox), str(warehouse), "never")
    assert done.returncode == 0, done.stderr[-2000:]
    seconds = json.loads(done.stdout.splitlines()[-1])["seconds"]
    return contents(published_database(warehouse)), seconds


@pytest.mark.build
def test_a_build_killed_at_any_moment_leaves_the_published_warehouse_as_it_was(inbox, uninterrupted, tmp_path, monkeypatch):
    expected, seconds = uninterrupted
    warehouse = tmp_path / "warehouse"
    first = build(inbox, warehouse, as_of=AS_OF)
    published = published_state(warehouse)
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(warehouse))
    served = overview_metrics()
    assert len(served) >= 5
    assert published["current"] == f"releases/{first.load_id}" and len(published["files"]) > 20
    # the last kill comes after the finished release is renamed into place, before `current` is switched to it
    moments = KILLED_AT + [f"after:{seconds * fraction:.2f}" for fraction in TIMED_KILLS] + ["switch"]
    for when in moments:
        done = faulty_build("kill", str(inbox), str(warehouse), when)
        assert done.returncode == -signal.SIGKILL, f"{when}: the build was not killed ({done.returncode}): {done.stderr[-1500:]}"
        now = published_state(warehouse)
        assert now["current"] == published["current"], when
        assert now["files"] == published["files"], f"{when}: a published file changed"
        left = [name for name in now["releases"] if name != first.load_id]
        if when == "switch":  # a finished release nobody switched to
            assert len(left) == 1 and left[0] > first.load_id, left
        else:  # the release it was building, half-built (what an earlier kill left was cleared as it began)
            assert len(left) == 1 and left[0].startswith(".building-"), (when, left)

    assert overview_metrics() == served  # the dashboard still serves the release published before the kills

    # the next build clears what the kills left and ends as an uninterrupted build does
    again = build(inbox, warehouse, as_of=AS_OF)
    assert release_names(warehouse) == sorted([first.load_id, again.load_id])
    assert sorted(p.name for p in warehouse.iterdir()) == [".build.lock", "current", "releases"]
    rebuilt = contents(published_database(warehouse))
    assert len(rebuilt) > 20 and rebuilt["staging.grants"][1]
    assert [name for name in expected if expected[name] != rebuilt.get(name)] == []
    assert sorted(rebuilt) == sorted(expected)
    assert again.tables == first.tables and again.files == first.files


def overview_metrics() -> dict[str, str]:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and [t.value for t in at.title] == ["Overview"]
    return {m.label: m.value for m in at.metric}


def _own_filesystem() -> list[str] | None:
    """A command prefix that runs a command with a small filesystem of its own mounted (a user and mount namespace:
    no root needed), or None where the kernel does not allow one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode == 0:
        return [unshare, "-rm"]
    return None


@pytest.mark.build  # builds in a process of its own
def test_a_full_disk_fails_the_build_clearly_and_keeps_the_old_warehouse(inbox, tmp_path):
    folder = tmp_path / "small-disk"
    folder.mkdir()
    prefix = _own_filesystem()
    if prefix:
        # 64 MB: one release (about 12 MB) and room to build a second, then filled to leave little or some room
        script = ('mount -t tmpfs -o size=64m tmpfs "$1" && shift && exec "$@"')
        done = faulty_build("full-disk", str(inbox), str(folder), "65536", "4000000", "9000000",
                            wrap=[*prefix, "sh", "-c", script, "sh", str(folder)])
    else:  # no namespaces on this machine: a limit on the size of any one file the build writes
        done = faulty_build("full-disk", str(inbox), str(folder), env={"COVENANT_FILE_SIZE_LIMIT": "2000000"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["attempts"]
    for attempt in report["attempts"]:
        assert attempt["outcome"] == "failed", attempt
        assert attempt["message"].startswith(f"the disk holding {folder / 'warehouse'} is full ("), attempt
        assert "the published warehouse is unchanged" in attempt["message"]
        assert attempt["unchanged"] is True and attempt["left_behind"] == [], attempt
    assert report["after"] and report["after"] != report["first"]  # with space again, the next build publishes
