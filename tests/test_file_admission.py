"""What a build checks of a file before reading it (etl/sources/files.admit), and after (files.unchanged), and how a
reading worker ends with its build: each on tiny files. The corpus (tests/test_problems.py) shows the same through a
whole build."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from etl.sources import files
from etl.sources.files import SourceError, admit, file_name, unchanged


def refusal(path: Path, name: str | None = None) -> str:
    with pytest.raises(SourceError) as error:
        admit(path, name or file_name(path, "funding"), (".csv",), "funding")
    return str(error.value)


def test_a_plain_file_is_admitted_with_its_checksum(tmp_path: Path) -> None:
    path = tmp_path / "grants.csv"
    path.write_bytes(b"a,b\n1,2\n")
    digest, signature = admit(path, "funding/grants.csv", (".csv",), "funding")
    assert digest == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert digest == files.sha256(path) and signature == (8, path.stat().st_mtime_ns, path.stat().st_ino)


def test_what_is_not_a_plain_file_is_refused_unread(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    assert refusal(pipe) == "funding/pipe.csv: is not a file but a pipe, socket or device; expected a file saved in the inbox"
    (tmp_path / "folder.csv").mkdir()
    assert "is a folder" in refusal(tmp_path / "folder.csv")
    (tmp_path / "link.csv").symlink_to(pipe)
    assert "is a symbolic link" in refusal(tmp_path / "link.csv")
    assert refusal(Path("/dev/null"), "funding/null.csv").endswith("is not a file but a pipe, socket or device; expected a file saved in the inbox")


def test_a_name_that_is_not_utf8_is_shown_escaped_and_refused(tmp_path: Path) -> None:
    path = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9 grants.csv"))
    path.write_bytes(b"a,b\n1,2\n")
    name = file_name(path, "funding")
    assert name == "funding/caf\\xe9 grants.csv"
    name.encode("utf-8")  # writable anywhere: the lineage, the manifest, a page
    assert refusal(path).startswith("funding/caf\\xe9 grants.csv: has a name that is not UTF-8 text")


@pytest.mark.parametrize("written, shown", [
    ("<img src=x onerror=alert(1)>.csv", "funding/\\x3cimg src=x onerror=alert(1)\\x3e.csv"),
    ("[a link](evil).csv", "funding/\\x5ba link\\x5d(evil).csv"),
    ("grants $x$.csv", "funding/grants \\x24x\\x24.csv"),
    ("red\x1b[31m.csv", "funding/red\\x1b\\x5b31m.csv"),
])
def test_a_name_that_is_markup_is_shown_escaped_and_refused(tmp_path: Path, written: str, shown: str) -> None:
    path = tmp_path / written
    path.write_bytes(b"a,b\n1,2\n")
    assert file_name(path, "funding") == shown
    assert refusal(path).startswith(f"{shown}: has a name holding angle or square brackets")
    plain = tmp_path / "award amounts (corrected) v2_final.csv"
    plain.write_bytes(b"a,b\n1,2\n")
    assert file_name(plain, "funding") == "funding/award amounts (corrected) v2_final.csv"


def test_a_file_too_large_or_of_the_wrong_type_is_refused_before_it_is_read(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "grants.csv"
    path.write_bytes(b"a,b\n1,2\n")
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 4)
    assert refusal(path) == "funding/grants.csv: is 0 MB; expected a file of at most 0 MB (split a larger one by year)"
    monkeypatch.undo()
    other = tmp_path / "grants.pdf"
    other.write_bytes(b"%PDF")
    assert refusal(other) == "funding/grants.pdf: has file type '.pdf'; files in funding/ must be one of .csv"


def test_a_file_the_build_may_not_open_is_refused_saying_so(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "grants.csv"
    path.write_bytes(b"a,b\n1,2\n")
    monkeypatch.setattr(files, "sha256", lambda p: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    assert refusal(path) == "funding/grants.csv: cannot be opened (Permission denied); expected a file the build may read"


def test_a_file_that_changes_while_it_is_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "grants.csv"
    path.write_bytes(b"a,b\n1,2\n")
    _, before = admit(path, "funding/grants.csv", (".csv",), "funding")
    unchanged(path, "funding/grants.csv", before)  # as it was: no error
    path.write_bytes(b"a,b\n1,2\n3,4\n")
    with pytest.raises(SourceError, match="changed while the build was reading it"):
        unchanged(path, "funding/grants.csv", before)
    path.unlink()
    with pytest.raises(SourceError, match="changed while the build was reading it"):
        unchanged(path, "funding/grants.csv", before)


def test_a_reading_worker_is_told_to_end_when_its_build_ends() -> None:
    import ctypes
    import signal

    from etl.inbox import end_with_parent

    libc = ctypes.CDLL(None, use_errno=True)
    found = ctypes.c_int()
    libc.prctl(2, ctypes.byref(found))  # PR_GET_PDEATHSIG
    before = found.value
    try:
        end_with_parent()
        libc.prctl(2, ctypes.byref(found))
        assert found.value == signal.SIGTERM
    finally:
        libc.prctl(1, before)


def test_a_read_still_going_after_the_time_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    import time

    from etl import inbox as reading

    path = tmp_path / "grants.csv"
    path.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(SourceError) as error, files.time_limit("funding/grants.csv", seconds=0.2):
        time.sleep(5)  # a read blocked on a stalled share: the timer interrupts it
    assert str(error.value) == ("funding/grants.csv: was still being read after 0 seconds; expected a file that can be "
                                "read in that time (is it on a network share that has stopped answering?)")
    # through the build's own reading of one file, a reader that never returns rejects only its file
    monkeypatch.setattr(files, "MAX_READ_SECONDS", 0.2)
    monkeypatch.setattr("etl.sources.funding.read_csv_text", lambda *args, **kwargs: time.sleep(5))
    digest, signature = admit(path, "funding/grants.csv", (".csv",), "funding")
    outcome = reading.read_file(reading.FileToRead("funding", path, "funding/grants.csv", digest, "load", 1, signature))
    assert outcome.startswith("funding/grants.csv: was still being read after 0 seconds")


READING_SCRIPT = """
import os, sys
from pathlib import Path
os.environ["COVENANT_PARALLEL_READ_BYTES"] = "0"  # read by worker processes, however small the files
from etl import inbox
pipe = Path(sys.argv[1])  # opening it waits for a writer: the workers stay busy until they are ended
files = [inbox.FileToRead("funding", pipe, f"funding/pipe{n}.csv", None, "load", n, ()) for n in range(2)]
for _ in inbox.read_files(files):
    pass
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _waiting_on_a_pipe(pid: int) -> bool:
    """The process is blocked opening a named pipe that has no writer (Linux's wait in fifo_open)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text() in ("wait_for_partner", "fifo_open")
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_reading_workers_end_when_the_build_is_terminated(tmp_path: Path) -> None:
    """SIGTERM to a build whose workers are reading: the workers end too (they were once left running)."""
    import signal
    import subprocess
    import sys
    import time

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    root = Path(__file__).resolve().parents[1]
    build = subprocess.Popen([sys.executable, "-c", READING_SCRIPT, str(pipe)], cwd=root)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:  # the pool's workers (and its resource tracker)
            time.sleep(0.2)
            workers = [p for p in _children(build.pid) if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
        assert len(workers) == 2, "the workers did not start"
        # each has started (and asked to end with its parent) once it waits on the pipe: on a busy machine a fixed
        # sleep was not always long enough for a worker to get there, and one killed before it could not end with it
        while time.monotonic() < deadline and not all(_waiting_on_a_pipe(p) for p in workers):
            time.sleep(0.2)
        assert all(_waiting_on_a_pipe(p) for p in workers), "the workers did not reach the pipe"
        build.send_signal(signal.SIGTERM)
        build.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not [p for p in workers if _alive(p)]
    finally:
        build.kill()
        for p in workers + _children(build.pid):  # never leave one behind, whatever the outcome
            if _alive(p):
                os.kill(p, signal.SIGKILL)


def test_a_folder_of_more_files_than_a_build_reads_is_read_to_the_limit_and_the_rest_refused(make_inbox, tmp_path: Path,
                                                                                             monkeypatch) -> None:
    from etl.build import build
    from tests.conftest import AS_OF, grant

    inbox = make_inbox()
    for number in (1, 2, 10):
        inbox.funding_csv(f"grants {number}.csv", [grant(f"360G-LIMIT-{number}")])
    monkeypatch.setattr(files, "MAX_FOLDER_FILES", 2)
    result = build(inbox.path, tmp_path / "warehouse", as_of=AS_OF)
    by_name = {f.path: f for f in result.files if f.source == "funding"}
    assert [(n, f.rows_loaded, f.rejected) for n, f in by_name.items()] == [
        ("funding/grants 1.csv", 1, None),
        ("funding/grants 2.csv", 1, None),
        ("funding/grants 10.csv", 0, "funding/grants 10.csv: was not read: funding/ holds 3 files, and a build reads the "
                                     "first 2 of a folder (by name); expected fewer, larger files (one a funder a year, say)"),
    ]
