"""The pinned dependencies: requirements.lock pins exactly what pyproject.toml declares, and the dependency audit
(tests/dependency_audit.py, `make audit`) reads the registry's answers rightly.

The audit itself asks the package registry, whose answers change whenever somebody publishes a release, so it is a
command and not a test. These tests run its logic on registry answers recorded in tests/fixtures/dependency_audit/
and never reach the network: every address the audit asks is answered from a file, or is a 404."""

from __future__ import annotations

import json
import tomllib
import urllib.error
from email.message import Message
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests import dependency_audit as da

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "dependency_audit"
REGISTRY = "https://registry.test/pypi"  # never reached: the recorded answers stand for it


class Recorded:
    """A registry answering from the fixture files: `<name>.json` for a project, `<name>-<version>.json` for a
    release, a 404 (None) for anything else. It notes every address it is asked."""

    def __init__(self, folder: Path = FIXTURES, extra: dict[str, dict] | None = None):
        self.folder = folder
        self.extra = extra or {}
        self.asked: list[str] = []

    def __call__(self, url: str) -> dict | None:
        self.asked.append(url)
        assert url.startswith(REGISTRY + "/") and url.endswith("/json"), url
        parts = url.removeprefix(REGISTRY + "/").removesuffix("/json").split("/")
        stem = "-".join(parts)
        if stem in self.extra:
            return self.extra[stem]
        path = self.folder / f"{stem}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def unreachable(url: str) -> dict | None:
    raise da.RegistryError(f"{url}: [Errno -3] Temporary failure in name resolution")


def run(tmp_path: Path, lock: str, fetch, capsys) -> tuple[int, str, str, str]:
    report = tmp_path / "build" / "dependency-audit.md"
    code = da.main(["--lock", str(FIXTURES / lock), "--report", str(report), "--registry", REGISTRY], fetch=fetch)
    out, err = capsys.readouterr()
    return code, out, err, report.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------------- the lock

def test_the_lock_parses_into_exact_pins():
    pins = da.read_lock(da.LOCK)
    assert len(pins) > 50
    assert {"streamlit", "duckdb", "polars", "plotly", "great_expectations"} <= set(pins)
    for name, version in pins.items():
        Version(version)  # every pin is a version, not a range


def test_a_lock_line_that_is_not_an_exact_pin_is_refused():
    assert da.parse_lock("# made by pip freeze\n\nclick==8.5.1\nidna==3.20  # why\n") == {"click": "8.5.1",
                                                                                          "idna": "3.20"}
    for line in ("click>=8.5", "click", "click==8.5.1; python_version<'3.12'", "-e .", "click===8.5.1"):
        with pytest.raises(ValueError, match="not an exact pin"):
            da.parse_lock(f"idna==3.20\n{line}\n")
    with pytest.raises(ValueError, match="a second time"):
        da.parse_lock("PyYAML==6.0.4\npyyaml==6.0.3\n")


def test_the_lock_pins_every_dependency_pyproject_declares_within_its_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(spec) for spec in project["dependencies"]]
    declared += [Requirement(spec) for extra in project.get("optional-dependencies", {}).values() for spec in extra]
    pins = {da.canonical(name): version for name, version in da.read_lock(da.LOCK).items()}
    missing = sorted(str(r) for r in declared if da.canonical(r.name) not in pins)
    assert missing == [], f"requirements.lock pins none of: {missing}"
    outside = sorted(f"{r.name}=={pins[da.canonical(r.name)]} (pyproject: {r.specifier})" for r in declared
                     if not r.specifier.contains(pins[da.canonical(r.name)], prereleases=True))
    assert outside == [], f"pins outside pyproject.toml's bounds: {outside}"


def test_a_lock_that_cannot_be_read_fails_with_its_own_code(tmp_path, capsys):
    bad = tmp_path / "bad.lock"
    bad.write_text("click>=8\n", encoding="utf-8")
    assert da.main(["--lock", str(bad), "--report", str(tmp_path / "r.md")], fetch=Recorded()) == da.EXIT_LOCK
    assert "not an exact pin" in capsys.readouterr().err
    assert da.main(["--lock", str(tmp_path / "none.lock"), "--report", str(tmp_path / "r.md")],
                   fetch=Recorded()) == da.EXIT_LOCK


# --------------------------------------------------------------------------------------------- one pin at a time

def test_a_vulnerable_latest_release_is_audited_with_its_advisories_each_listed_once():
    found = da.audit_pin("pycrypto", "2.6.1", Recorded(), REGISTRY)
    assert found.status == da.AUDITED
    # the registry lists four entries: two PYSEC advisories and the GHSA entries that alias them
    assert [a.id for a in found.advisories] == ["PYSEC-2017-94", "PYSEC-2018-97"]
    assert {"CVE-2013-7459", "GHSA-cq27-v7xp-c356"} <= set(found.advisories[0].aliases)
    assert all(a.fixed_in == () and a.fixed_in_text() == "no fixed release" for a in found.advisories)


def test_the_per_release_answer_is_asked_first_and_used_when_the_registry_gives_it():
    registry = Recorded()
    found = da.audit_pin("requests", "2.31.0", registry, REGISTRY)
    assert registry.asked == [f"{REGISTRY}/requests/2.31.0/json"]
    assert found.status == da.AUDITED
    assert [(a.id, a.aliases, a.fixed_in) for a in found.advisories] == [
        ("GHSA-9wx4-h78v-vm56", ("CVE-2024-35195",), ("2.32.0",))]


def test_a_pin_behind_the_latest_release_is_not_audited_and_says_what_the_latest_is():
    registry = Recorded()
    found = da.audit_pin("idna", "3.20", registry, REGISTRY)
    assert registry.asked == [f"{REGISTRY}/idna/3.20/json", f"{REGISTRY}/idna/json"]
    assert (found.status, found.latest, found.latest_python, found.advisories) == (da.NOT_LATEST, "3.21", ">=3.10", ())


def test_the_latest_release_with_no_advisory_is_audited_clean():
    found = da.audit_pin("click", "8.5.1", Recorded(), REGISTRY)
    assert (found.status, found.advisories, found.yanked) == (da.AUDITED, (), None)


def test_the_registry_is_asked_by_the_projects_normalised_name():
    registry = Recorded()
    da.audit_pin("Great_Expectations", "1.24.1", registry, REGISTRY)
    assert registry.asked[0] == f"{REGISTRY}/great-expectations/1.24.1/json"
    assert da.canonical("ruamel.yaml") == "ruamel-yaml" and da.canonical("PyYAML") == "pyyaml"


def test_releases_and_projects_the_registry_does_not_know_are_not_audited():
    assert da.audit_pin("idna", "9.9", Recorded(), REGISTRY).status == da.UNKNOWN_RELEASE
    assert da.audit_pin("no-such-project", "1.0", Recorded(), REGISTRY).status == da.UNKNOWN_PROJECT


def test_a_withdrawn_advisory_is_left_out_and_a_yanked_pin_is_noted():
    idna = json.loads((FIXTURES / "idna.json").read_text(encoding="utf-8"))
    advisory = dict(json.loads((FIXTURES / "pycrypto.json").read_text(encoding="utf-8"))["vulnerabilities"][0])
    idna["vulnerabilities"] = [dict(advisory, withdrawn="2026-01-01T00:00:00Z")]
    for entry in idna["releases"]["3.21"]:
        entry.update(yanked=True, yanked_reason="broken wheel")
    found = da.audit_pin("idna", "3.21", Recorded(extra={"idna": idna}), REGISTRY)
    assert (found.status, found.advisories, found.yanked) == (da.AUDITED, (), "broken wheel")


# --------------------------------------------------------------------------------------------- the whole command

def test_a_vulnerable_pin_fails_the_audit_listing_its_advisories_and_fixes(tmp_path, capsys):
    code, out, err, report = run(tmp_path, "vulnerable.lock", Recorded(), capsys)
    assert code == da.EXIT_ADVISORIES == 1
    assert report in out
    assert "**Result: FAILED**: 2 pinned release(s) with known advisories" in report
    assert "| requests==2.31.0 | GHSA-9wx4-h78v-vm56 | CVE-2024-35195 | 2.32.0 |" in report
    assert "| pycrypto==2.6.1 | PYSEC-2017-94 | CVE-2013-7459, GHSA-cq27-v7xp-c356 | no fixed release |" in report
    assert "| pycrypto==2.6.1 | PYSEC-2018-97 |" in report
    # the pin it cannot audit is still listed, the clean one too
    assert "| idna==3.20 | not the latest release | 3.21 | >=3.10 | none |" in report
    assert "## Audited, no known advisory\n\nclick==8.5.1\n" in report


def test_a_pin_that_cannot_be_audited_is_listed_and_not_failed_on(tmp_path, capsys):
    code, out, err, report = run(tmp_path, "clean.lock", Recorded(), capsys)
    assert code == da.EXIT_CLEAN == 0
    assert "**Result: passed**" in report
    assert "2 pins in clean.lock; 1 audited, 1 not auditable by this registry, 0 unanswered" in report
    assert "## Not audited (listed, not failed on)" in report
    assert "| idna==3.20 | not the latest release | 3.21 |" in out
    assert "Known advisories" not in report


def test_an_unreachable_registry_is_its_own_failure_and_the_rest_are_not_asked(tmp_path, capsys):
    asked = []

    def down(url):
        asked.append(url)
        return unreachable(url)

    code, out, err, report = run(tmp_path, "vulnerable.lock", down, capsys)
    assert code == da.EXIT_REGISTRY == 2
    assert len(asked) == 1  # the first pin alone: no wait for every pin to time out
    assert f"the registry {REGISTRY} cannot be reached" in err and "name resolution" in err
    assert "**Result: the registry could not be reached**" in report and "nothing was audited" in report


def test_a_registry_that_answers_for_some_pins_only_leaves_the_audit_incomplete(tmp_path, capsys):
    recorded = Recorded()

    def patchy(url):
        return unreachable(url) if "/idna/" in url else recorded(url)

    code, out, err, report = run(tmp_path, "clean.lock", patchy, capsys)
    assert code == da.EXIT_REGISTRY
    assert "**Result: INCOMPLETE**: the registry did not answer for 1 pin(s)" in report
    assert "## No answer from the registry\n\n- idna==3.20: " in report
    # advisories found still fail as advisories
    code, *_ = run(tmp_path, "vulnerable.lock", patchy, capsys)
    assert code == da.EXIT_ADVISORIES


# ------------------------------------------------------------------------------------- how the registry is asked

class _Answer:
    def __init__(self, body: bytes):
        self.body = body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, *args):
        body, self.body = self.body, b""
        return body


def _http_error(url: str, code: int) -> urllib.error.HTTPError:
    return urllib.error.HTTPError(url, code, "error", Message(), None)


def test_fetch_json_reads_answers_turns_404_into_none_and_failures_into_registry_errors(monkeypatch):
    answers: list = []
    calls: list[str] = []

    def urlopen(request, timeout):
        calls.append(request.full_url)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return _Answer(answer)

    monkeypatch.setattr(da.urllib.request, "urlopen", urlopen)
    url = f"{REGISTRY}/idna/json"
    answers[:] = [b'{"info": {"version": "3.21"}}']
    assert da.fetch_json(url) == {"info": {"version": "3.21"}}
    answers[:] = [_http_error(url, 404)]
    assert da.fetch_json(url) is None
    answers[:] = [_http_error(url, 503), b"{}"]  # one retry for a server error
    assert da.fetch_json(url) == {}
    answers[:] = [urllib.error.URLError("[Errno -3] Temporary failure in name resolution")] * 2
    with pytest.raises(da.RegistryError, match="name resolution"):
        da.fetch_json(url)
    answers[:] = [TimeoutError("timed out")] * 2
    with pytest.raises(da.RegistryError, match="timed out"):
        da.fetch_json(url)
    answers[:] = [_http_error(url, 403)]  # a refusal is not retried
    with pytest.raises(da.RegistryError, match="HTTP 403"):
        da.fetch_json(url)
    answers[:] = [b"<html>not json</html>"]
    with pytest.raises(da.RegistryError):
        da.fetch_json(url)
    assert answers == []


def test_the_command_on_an_unreachable_network_exits_2(monkeypatch, tmp_path, capsys):
    def urlopen(request, timeout):
        raise urllib.error.URLError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(da.urllib.request, "urlopen", urlopen)
    report = tmp_path / "audit.md"
    assert da.main(["--lock", str(FIXTURES / "clean.lock"), "--report", str(report)]) == da.EXIT_REGISTRY
    assert "Network is unreachable" in capsys.readouterr().err
    assert "could not be reached" in report.read_text(encoding="utf-8")
