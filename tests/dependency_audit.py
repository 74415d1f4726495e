"""The dependency audit: every pin in requirements.lock against the package registry's advisories.

Run it as `python -m tests.dependency_audit` (`make audit`). It asks the registry about every pin and

- fails with exit code 1 on any known advisory against a pinned release, listing each with its id, its aliases and
  the releases that fix it;
- lists the pins the registry cannot audit (see below) and does not fail on them;
- fails with exit code 2 when the registry cannot be reached at all, or does not answer for some pins (an audit with
  holes is not a pass); advisories that were found still make it exit 1;
- fails with exit code 3 when requirements.lock cannot be read or has a line that is not an exact `name==version`.

It prints its report (Markdown) and writes it to build/dependency-audit.md.

Where the advisories come from. PyPI's JSON API carries, with each release, the advisories that the PyPA advisory
database (through OSV) records against it, as pip-audit reads them: `/pypi/<name>/<version>/json` for one release,
and `/pypi/<name>/json` for a project, whose advisories are its latest release's only. The audit asks for the pinned
release first and, when the registry does not answer that, for the project.

What it cannot see. This machine's registry is a mirror that answers the project form alone: the per-release form is
404 for every release (the latest included), a `?version=` on the project form is ignored, the "simple" API
(`Accept: application/vnd.pypi.simple.v1+json`) lists files, hashes, `requires-python` and yanked flags but no
advisories, and the release feeds, provenance and project pages are 404. So a pin is audited here only while it is
its project's latest release, and drops out of the audit when a newer one is published. A pin behind the latest
cannot be audited: the latest release's advisories say nothing certain about an older one (an advisory fixed before
the latest is not listed at all, and one listed may have come in later), so the report lists such a pin with the
latest release, the Python versions that release needs and its advisories, if any, for a person to judge. It sees
only the advisories that OSV has passed to the registry, and takes no yanked release as a risk (the report lists a
yanked pin, with the registry's reason, and does not fail).

The registry's answers change whenever somebody publishes a release, so this audit is a command, not a test: the
tests (tests/test_dependencies.py) run its logic on recorded answers and never reach the network.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
REPORT = ROOT / "build" / "dependency-audit.md"
REGISTRY = "https://pypi.org/pypi"
TIMEOUT = 30.0
WORKERS = 8

EXIT_CLEAN = 0
EXIT_ADVISORIES = 1
EXIT_REGISTRY = 2
EXIT_LOCK = 3

AUDITED = "audited"
NOT_LATEST = "not the latest release"
UNKNOWN_RELEASE = "release unknown to the registry"
UNKNOWN_PROJECT = "project unknown to the registry"
NO_ANSWER = "no answer from the registry"

_PIN = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([^\s;#=<>!~,]+)$")


class RegistryError(Exception):
    """The registry did not answer (no connection, a time-out, a server error, an answer that is not JSON)."""


Fetch = Callable[[str], "dict | None"]


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()
    link: str = ""
    summary: str = ""

    @classmethod
    def from_registry(cls, entry: dict) -> Advisory:
        summary = entry.get("summary") or (entry.get("details") or "").strip().split("\n")[0]
        return cls(id=str(entry["id"]), aliases=tuple(entry.get("aliases") or ()),
                   fixed_in=tuple(entry.get("fixed_in") or ()), link=entry.get("link") or "",
                   summary=summary[:160])

    def fixed_in_text(self) -> str:
        return ", ".join(self.fixed_in) if self.fixed_in else "no fixed release"


@dataclass(frozen=True)
class PinAudit:
    name: str
    version: str
    status: str
    advisories: tuple[Advisory, ...] = ()
    latest: str | None = None  # the registry's latest release, when the pin is not it
    latest_python: str | None = None  # the Python versions that latest release asks for (its requires-python)
    latest_advisories: tuple[Advisory, ...] = ()
    yanked: str | None = None  # the registry's reason, when the pinned release is yanked ("" for none given)
    error: str | None = None

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class AuditResult:
    registry: str
    pins: tuple[PinAudit, ...] = ()
    unreachable: str | None = None  # why, when the registry could not be reached at all

    @property
    def vulnerable(self) -> list[PinAudit]:
        return [p for p in self.pins if p.advisories]

    @property
    def audited(self) -> list[PinAudit]:
        return [p for p in self.pins if p.status == AUDITED]

    @property
    def not_audited(self) -> list[PinAudit]:
        return [p for p in self.pins if p.status not in (AUDITED, NO_ANSWER)]

    @property
    def unanswered(self) -> list[PinAudit]:
        return [p for p in self.pins if p.status == NO_ANSWER]

    @property
    def exit_code(self) -> int:
        if self.vulnerable:
            return EXIT_ADVISORIES
        if self.unreachable or self.unanswered:
            return EXIT_REGISTRY
        return EXIT_CLEAN


# ---------------------------------------------------------------------------------------------------------- the lock

def parse_lock(text: str) -> dict[str, str]:
    """{name: version} of a lock file whose every line is `name==version` (blank lines and # comments allowed)."""
    found: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if match is None:
            raise ValueError(f"line {number} of the lock is not an exact pin (name==version): {raw!r}")
        name, version = match.groups()
        if canonical(name) in {canonical(n) for n in found}:
            raise ValueError(f"line {number} of the lock pins {name} a second time")
        found[name] = version
    return found


def read_lock(path: Path = LOCK) -> dict[str, str]:
    return parse_lock(path.read_text(encoding="utf-8"))


def canonical(name: str) -> str:
    """The registry's name of a project (PEP 503): `great_expectations` and `Great.Expectations` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def same_version(a: str, b: str) -> bool:
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - pytest brings packaging
        return a == b
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


# ------------------------------------------------------------------------------------------------------ the registry

def fetch_json(url: str, timeout: float = TIMEOUT, attempts: int = 2) -> dict | None:
    """The registry's JSON answer at url; None for a 404; RegistryError when it does not answer."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                            "User-Agent": "covenant-dependency-audit"})
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            last = error
            if error.code < 500 and error.code != 429:
                break
        except OSError as error:  # URLError, time-outs and refused connections alike
            last = error
        except ValueError as error:  # not JSON
            last = error
            break
    raise RegistryError(f"{url}: {_describe(last)}")


def _describe(error: Exception | None) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return f"{type(error).__name__}: {error}"


def _advisories(entries: Iterable[dict] | None) -> tuple[Advisory, ...]:
    """The advisories of an answer, withdrawn ones left out and each listed once (PyPI lists a PYSEC entry and the
    GHSA entry that aliases it as two)."""
    kept: list[Advisory] = []
    for entry in entries or ():
        if entry.get("withdrawn"):
            continue
        advisory = Advisory.from_registry(entry)
        names = {advisory.id, *advisory.aliases}
        if any(k.id in names or advisory.id in k.aliases for k in kept):
            continue
        kept.append(advisory)
    return tuple(kept)


def _yanked(project: dict, version: str) -> str | None:
    files = next((files for v, files in (project.get("releases") or {}).items() if same_version(v, version)), None)
    if files and all(f.get("yanked") for f in files):
        return next((f.get("yanked_reason") for f in files if f.get("yanked_reason")), "") or ""
    return None


def _requires_python(project: dict, version: str) -> str | None:
    """The requires-python of a release's files (this registry's `info` can disagree with them)."""
    files = next((files for v, files in (project.get("releases") or {}).items() if same_version(v, version)), None)
    return next((f["requires_python"] for f in files or () if f.get("requires_python")), None)


def audit_pin(name: str, version: str, fetch: Fetch, registry: str = REGISTRY) -> PinAudit:
    """What the registry says of one pin. fetch(url) returns the JSON answer, None for a 404, or raises
    RegistryError."""
    project_url = f"{registry}/{canonical(name)}"
    try:
        release = fetch(f"{project_url}/{version}/json")
        if release is not None:
            info = release.get("info") or {}
            yanked = (info.get("yanked_reason") or "") if info.get("yanked") else None
            return PinAudit(name, version, AUDITED, _advisories(release.get("vulnerabilities")), yanked=yanked)
        project = fetch(f"{project_url}/json")
    except RegistryError as error:
        return PinAudit(name, version, NO_ANSWER, error=str(error))
    if project is None:
        return PinAudit(name, version, UNKNOWN_PROJECT)
    info = project.get("info") or {}
    latest = str(info.get("version") or "")
    yanked = _yanked(project, version)
    if same_version(latest, version):
        return PinAudit(name, version, AUDITED, _advisories(project.get("vulnerabilities")), yanked=yanked)
    releases = project.get("releases")
    known = releases is None or any(same_version(v, version) for v in releases)
    return PinAudit(name, version, NOT_LATEST if known else UNKNOWN_RELEASE, latest=latest or None,
                    latest_python=_requires_python(project, latest) or info.get("requires_python") or None,
                    latest_advisories=_advisories(project.get("vulnerabilities")), yanked=yanked)


def audit(pins: dict[str, str], fetch: Fetch, registry: str = REGISTRY, workers: int = WORKERS) -> AuditResult:
    """Every pin against the registry. The first pin is asked alone: when that gets no answer at all the registry is
    taken as unreachable and the rest are not asked."""
    items = sorted(pins.items(), key=lambda item: canonical(item[0]))
    if not items:
        return AuditResult(registry)
    first = audit_pin(*items[0], fetch=fetch, registry=registry)
    if first.status == NO_ANSWER:
        return AuditResult(registry, (first,), unreachable=first.error)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        rest = list(pool.map(lambda item: audit_pin(*item, fetch=fetch, registry=registry), items[1:]))
    return AuditResult(registry, (first, *rest))


# ------------------------------------------------------------------------------------------------------- the report

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _advisory_list(advisories: Sequence[Advisory]) -> str:
    return "; ".join(f"{a.id} (fixed in {a.fixed_in_text()})" for a in advisories)


def render(result: AuditResult, lock_name: str = "requirements.lock") -> str:
    lines = ["# Dependency audit", ""]
    if result.unreachable:
        lines += [f"**Result: the registry could not be reached** ({result.registry}); nothing was audited.", "",
                  f"Error: {result.unreachable}", ""]
        return "\n".join(lines)
    total = len(result.pins)
    if result.vulnerable:
        verdict = f"**Result: FAILED**: {len(result.vulnerable)} pinned release(s) with known advisories"
    elif result.unanswered:
        verdict = f"**Result: INCOMPLETE**: the registry did not answer for {len(result.unanswered)} pin(s)"
    else:
        verdict = "**Result: passed**: no known advisory against an audited pin"
    lines += [verdict + ".", "",
              f"{total} pins in {lock_name}; {len(result.audited)} audited, {len(result.not_audited)} not auditable "
              f"by this registry, {len(result.unanswered)} unanswered. Source: the advisories (OSV's: PYSEC and GHSA) in "
              f"{result.registry}'s JSON answers.", ""]
    if result.vulnerable:
        lines += ["## Known advisories against pinned releases", "",
                  "| pin | advisory | aliases | fixed in | summary |", "| --- | --- | --- | --- | --- |"]
        for pin in result.vulnerable:
            for a in pin.advisories:
                lines.append(f"| {pin.pin} | {a.id} | {', '.join(a.aliases)} | {a.fixed_in_text()} "
                             f"| {_cell(a.summary)} |")
        lines.append("")
    if result.unanswered:
        lines += ["## No answer from the registry", ""]
        lines += [f"- {pin.pin}: {pin.error}" for pin in result.unanswered]
        lines.append("")
    if result.not_audited:
        lines += ["## Not audited (listed, not failed on)", "",
                  "The registry gives advisories for a project's latest release only, so these pins could not be "
                  "checked.", "",
                  "| pin | why | registry's latest | the latest's Python | advisories against the latest |",
                  "| --- | --- | --- | --- | --- |"]
        for pin in result.not_audited:
            lines.append(f"| {pin.pin} | {pin.status} | {pin.latest or ''} | {_cell(pin.latest_python or '')} "
                         f"| {_advisory_list(pin.latest_advisories) or 'none'} |")
        lines.append("")
    yanked = [p for p in result.pins if p.yanked is not None]
    if yanked:
        lines += ["## Yanked pinned releases", ""]
        lines += [f"- {p.pin}: {p.yanked or 'no reason given'}" for p in yanked]
        lines.append("")
    clean = [p.pin for p in result.audited if not p.advisories]
    if clean:
        lines += ["## Audited, no known advisory", "", ", ".join(clean), ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------ the command

def main(argv: Sequence[str] | None = None, fetch: Fetch | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.dependency_audit", description=__doc__.split("\n")[0])
    parser.add_argument("--lock", type=Path, default=LOCK, help="the lock file (default: requirements.lock)")
    parser.add_argument("--report", type=Path, default=REPORT, help="where to write the report (Markdown)")
    parser.add_argument("--registry", default=REGISTRY, help="the registry's JSON API (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per request")
    parser.add_argument("--workers", type=int, default=WORKERS, help="requests at a time")
    args = parser.parse_args(argv)
    try:
        pins = read_lock(args.lock)
    except (OSError, ValueError) as error:
        print(f"dependency audit: cannot read the lock: {error}", file=sys.stderr)
        return EXIT_LOCK
    if fetch is None:
        def fetch(url: str) -> dict | None:
            return fetch_json(url, timeout=args.timeout)
    result = audit(pins, fetch, registry=args.registry.rstrip("/"), workers=args.workers)
    report = render(result, lock_name=args.lock.name)
    print(report)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report, encoding="utf-8")
    print(f"(written to {args.report})")
    if result.unreachable:
        print(f"dependency audit: the registry {result.registry} cannot be reached: {result.unreachable}",
              file=sys.stderr)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
