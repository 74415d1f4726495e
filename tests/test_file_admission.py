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

    from etl.build import _end_with_parent

    libc = ctypes.CDLL(None, use_errno=True)
    found = ctypes.c_int()
    libc.prctl(2, ctypes.byref(found))  # PR_GET_PDEATHSIG
    before = found.value
    try:
        _end_with_parent()
        libc.prctl(2, ctypes.byref(found))
        assert found.value == signal.SIGTERM
    finally:
        libc.prctl(1, before)


def test_a_read_still_going_after_the_time_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    import time

    from etl import build as builder

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
    outcome = builder._read_file(builder._FileToRead("funding", path, "funding/grants.csv", digest, "load", 1, signature))
    assert outcome.startswith("funding/grants.csv: was still being read after 0 seconds")
