"""The pinned dependencies (requirements.lock) are audited for known vulnerabilities against the package registry's
advisories (PyPI's JSON API carries the PyPA advisory database's entries for each release, as pip-audit reads them).

PyPI answers for a release (/pypi/<name>/<version>/json) where the registry allows it, else for a project's latest
release (/pypi/<name>/json), whose advisories are a pin's own only when the pin is that release. A pin neither answer
covers is reported as not audited; the audit fails on any advisory for a pinned release, or when it could audit too
few pins to mean anything (the registry unreachable, say)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
REGISTRY = "https://pypi.org/pypi"
LEAST_AUDITED = 0.9  # of the pins


def pins() -> dict[str, str]:
    found = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.strip().split("==")
            found[name] = version
    return found


def _json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def advisories(name: str, version: str) -> tuple[bool, list[dict]]:
    """(whether the registry could say, the advisories for that release)."""
    release = _json(f"{REGISTRY}/{name}/{version}/json")
    if release is not None:
        return True, release.get("vulnerabilities") or []
    project = _json(f"{REGISTRY}/{name}/json")
    if project is not None and project["info"]["version"] == version:
        return True, project.get("vulnerabilities") or []
    return False, []


def test_no_pinned_dependency_has_a_known_vulnerability():
    pinned = pins()
    assert len(pinned) > 50 and pinned["streamlit"] and pinned["duckdb"]
    with ThreadPoolExecutor(8) as pool:
        answers = dict(zip(pinned, pool.map(lambda item: advisories(*item), pinned.items())))
    vulnerable = {f"{name}=={pinned[name]}": [f"{a.get('id')} (fixed in {', '.join(a.get('fixed_in') or ['no release'])})"
                                               for a in found]
                  for name, (audited, found) in answers.items() if found}
    not_audited = sorted(f"{name}=={pinned[name]}" for name, (audited, _) in answers.items() if not audited)
    print(f"audited {len(pinned) - len(not_audited)} of {len(pinned)} pins; not audited: {', '.join(not_audited) or 'none'}")
    assert vulnerable == {}
    assert len(not_audited) <= (1 - LEAST_AUDITED) * len(pinned), f"too few pins audited; not audited: {not_audited}"


def test_the_audit_finds_the_advisories_of_a_vulnerable_release():
    """The audit can fail: pycrypto 2.6.1 (abandoned, never fixed) has advisories the registry reports."""
    audited, found = advisories("pycrypto", "2.6.1")
    assert audited and {"PYSEC-2018-97", "PYSEC-2017-94"} <= {a["id"] for a in found}
