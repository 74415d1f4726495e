"""Nothing from a sender is trusted in a public place. Every field of every source's contract (data_contracts/*.yaml)
is sent holding each of a set of hostile values (HTML with script and an image, markdown links and images,
Streamlit's :red[..], LaTeX, a javascript: address, 300 characters of markup, an e-mail address and a phone number),
and every source is sent a header row of them, all in one tiny warehouse. What is published holds no live markup
in any message (manifest.json, meta.load_files, the messages of quarantine.rows), no value at all in the Data Docs,
and nothing from an issue log anywhere; an issue log's own messages quote nothing from it; a link is shown only
when it is a checked https address, and text is escaped wherever it is shown. The dashboard's side in a real
browser: tests/browser/test_hostile_text.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from dashboard import format as fmt
from data_contracts import load_contract
from data_contracts.to_expectations import suite
from etl.build import build
from etl.reference import load as load_reference
from etl.sources import SOURCES, issues
from tests.conftest import AS_OF, FUNDING_TITLES, InboxFactory, grant, query

HOSTILE = {
    "html": "<img src=x onerror=alert(1) data-hostile=1><script>alert(2)</script>",
    "markdown": "[a link](https://evil.example/) ![a pixel](https://evil.example/p.png)",
    "directive": ":red[red] :material/warning: **bold**",
    "latex": "$x^2$ and $$y$$",
    "javascript": "javascript:alert(3)",
    "long": ("<b>long</b> " * 25)[:300],
    "contact": "Jo Bloggs, jo.bloggs@example.org, 07700 900123",
}
SECRET = "ISSUE-SECRET"  # every value planted in an issue log begins with it
REPORTER = "Jo Reporter, jo.reporter@example.org, 07700 900999"  # a reporter's details, in an issue log only
CONFIDENTIAL_TEXT = (SECRET, "jo.reporter", "900999", "Jo Reporter")

# a valid record of each dataset, by field name; the n-th planted row is this with one field hostile
BASE = {
    "grants": lambda n: grant(f"360G-U-{n}"),
    "organisations": lambda n: {"org_id": f"GB-CHC-{1_000_000 + n}", "name": "A Trust", "organisation_type": "charity",
                                "latest_income": "1000", "local_authority_code": "E08000016"},
    "return_summary": lambda n: {"body_code": BODIES[n], "financial_year": "2025-26", "quarter": "1", "action_plan_published": "Yes",
                                 "ministerial_lead_named": "Yes", "senior_official_lead_named": "Yes",
                                 "meetings_committed": "4", "meetings_held": "3"},
    "return_commitments": lambda n: {"commitment_ref": f"C-{n}", "principle": "partnership", "commitment": "Meet quarterly",
                                     "status": "on track"},
    "return_consultations": lambda n: {"consultation_ref": f"K-{n}", "title": "A consultation", "opened_on": "2025-05-01",
                                       "closed_on": "2025-07-31"},
    "return_funding_endings": lambda n: {"ending_ref": f"F-{n}", "recipient_org_id": "GB-CHC-1234567",
                                         "funding_ended_on": "2025-06-01", "written_rationale": "Yes"},
    "return_policies": lambda n: {"policy_ref": f"P-{n}", "title": "A policy", "kind": "policy", "impact_assessed": "Yes"},
    "return_engagement": lambda n: {"meeting_date": "2025-06-01", "meeting_type": "roundtable", "organisation_id": "GB-CHC-1234567"},
    "issue_events": lambda n: {"event_id": f"U-{n}", "issue_ref": f"UI-{n}", "event_type": "raised",
                               "occurred_at": "2025-06-01T09:00:00", "body": "DCMS", "principle": "partnership",
                               "category": "other", "reporter_size_band": "small", "reporter_district": "E08000016"},
}
BODIES = load_reference("public_bodies")["code"].to_list()

# reference lookups have no titles of their own: each kind of file, its columns as publishers name them (field ->
# column) and a valid row; the contract's `vintage` is read from a column's name (LAD23CD), never from a cell
LOOKUPS = {
    "districts.csv": ("district_lookup", {"district_code": "LAD23CD", "district_name": "LAD23NM", "region_code": "RGN23CD",
                                          "region_name": "RGN23NM", "nation_code": "CTRY23CD", "current_code": "LAD23CD_ACTIVE"},
                      lambda n: [f"E0700{n:04d}", f"District {n}", "E12000003", "Yorkshire and The Humber", "E92000001", ""]),
    "small_areas.csv": ("small_area_lookup", {"small_area_code": "LSOA21CD", "district_code": "LAD23CD"},
                        lambda n: [f"E0100{n:04d}", "E08000016"]),
    "small_areas_mysociety.csv": ("small_area_lookup", {"small_area_code": "lsoa", "register_code": "local-authority-code"},
                                  lambda n: [f"E0110{n:04d}", "BNS"]),
    "register.csv": ("authority_register", {"register_code": "local-authority-code", "gss_code": "gss-code",
                                            "name": "official-name", "former_codes": "former-gss-codes", "replaced_by": "replaced-by"},
                     lambda n: [f"R{n:03d}", "E08000016", "Barnsley", "", ""]),
    "authority_names.csv": ("authority_names", {"name": "la-name", "register_code": "local-authority-code"},
                            lambda n: [f"Barnsley {n}", "BNS"]),
    "council_areas.csv": ("organisation_areas", {"org_id": "org_id", "gss_code": "gss_code", "name": "name", "active": "active"},
                          lambda n: [f"GB-LAE-{n}", "E08000016", "Barnsley Council", "TRUE"]),
    "combined_authorities.csv": ("area_codes", {"area_code": "CAUTH23CD", "area_name": "CAUTH23NM", "region_code": "RGN23CD",
                                                "nation_code": "CTRY23CD"},
                                 lambda n: [f"E4700{n:04d}", "An authority", "E12000003", "E92000001"]),
}
NOT_A_CELL = {("district_lookup", "vintage")}
HEX_FIELDS = {"gss_code", "name", "q", "r", "layout", "region"}


def planted(dataset: str, value: str) -> str:
    """A hostile value as planted in a dataset: in an issue log it begins with SECRET, to be found wherever it goes."""
    return f"{SECRET} {value}" if dataset == "issue_events" else value


def plant(inbox: InboxFactory) -> dict[str, set[str]]:
    """Every field of every contract, hostile in turn, into `inbox`; returns the fields planted, by dataset."""
    done: dict[str, set[str]] = {}
    rows: dict[str, list[dict]] = {}
    for source in SOURCES:
        for dataset in load_contract(source.contract).datasets:
            found = rows.setdefault(dataset.name, [])
            for field in dataset.fields:
                for value in HOSTILE.values():
                    found.append(BASE[dataset.name](len(found)) | {field.name: planted(dataset.name, value)})
                done.setdefault(dataset.name, set()).add(field.name)
    inbox.csv("funding/hostile.csv", list(FUNDING_TITLES.values()), [[r.get(f) for f in FUNDING_TITLES] for r in rows["grants"]])
    inbox.organisations_csv("hostile.csv", rows["organisations"])
    inbox.issues_csv("hostile.csv", rows["issue_events"])
    inbox.issues_csv("reporter.csv", [BASE["issue_events"](0) | {"event_id": "U-R", "issue_ref": "UI-R", "reporter_id": REPORTER,
                                                                  "summary": REPORTER}])
    for number, summary in enumerate(rows["return_summary"]):  # one Summary row a workbook, each its own body
        inbox.return_workbook(f"summary_{number:03d}.xlsx", {"return_summary": [summary]})
    inbox.return_workbook("sheets.xlsx", {name: found for name, found in rows.items() if name.startswith("return_")}
                          | {"return_summary": [BASE["return_summary"](len(BODIES) - 1)]})
    for file, (dataset, columns, base) in LOOKUPS.items():
        lines = [base(n) for n in range(len(columns) * len(HOSTILE))]
        for n, (field, value) in enumerate((f, v) for f in columns for v in HOSTILE.values()):
            lines[n][list(columns).index(field)] = value
        inbox.csv(f"reference/{file}", list(columns.values()), lines)
        done.setdefault(dataset, set()).update(columns)
    for n, (field, value) in enumerate((f, v) for f in sorted(HEX_FIELDS) for v in HOSTILE.values()):
        hexagon = {"n": "Barnsley", "q": 0, "r": 0, "region": "E12000003"}
        key, layout = ("E08000016", "odd-r")
        if field == "gss_code":
            key = value
        elif field == "layout":
            layout = value
        else:
            hexagon[{"name": "n"}.get(field, field)] = value
        inbox.write_text(f"reference/hexes_{n:02d}.hexjson", json.dumps({"layout": layout, "hexes": {key: hexagon}}))
    done.setdefault("hex_layout", set()).update(HEX_FIELDS)
    # a header row of hostile values in every kind of file: rejected, naming what was expected
    header = list(HOSTILE.values())
    for folder in ("funding", "organisations"):
        inbox.csv(f"{folder}/hostile_header.csv", header, [[folder] * len(header)])
    inbox.csv("issues/hostile_header.csv", [f"{SECRET} {v}" for v in HOSTILE.values()], [["1"] * len(header)])
    inbox.csv("reference/hostile_header.csv", ["LSOA21CD", *header], [["E01000001"] + ["1"] * len(header)])
    from etl.xlsx import write_workbook

    write_workbook(inbox.path / "returns" / "hostile_header.xlsx",
                   [(d.physical_name, header, [["1"] * len(header)]) for d in load_contract("returns").datasets])
    return done


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("untrusted")
    inbox = InboxFactory(root / "inbox")
    fields = plant(inbox)
    result = build(inbox.path, root / "warehouse", as_of=AS_OF)
    assert result.published
    database = root / "warehouse" / "current" / "covenant.duckdb"
    return result, database, fields, inbox, root


# --- what counts as live ------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


LIVE = {  # what a text would do if shown as markdown or HTML unescaped
    "a markdown link or image": re.compile(r"\[[^\]]*\]\([^)]*\)"),
    "a Streamlit directive": re.compile(r":[a-z]+\[|:material/"),
    "LaTeX": re.compile(r"\$[^$\s][^$]*\$"),
    "an address a link is made of": re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.\w+"),
    "emphasis": re.compile(r"\*\*[^*]+\*\*"),
}


def live_markup(text: str) -> list[str]:
    """The markup in `text` that would act if it were shown unescaped: HTML elements, markdown links and images,
    Streamlit directives, LaTeX, addresses that are made links, emphasis. Empty for plain text."""
    found = [f"<{tag}>" for tag, _ in tags(text).tags]
    return found + [f"{what}: {m.group(0)!r}" for what, pattern in LIVE.items() for m in pattern.finditer(text)]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_value_counts_as_live(name: str) -> None:
    assert live_markup(HOSTILE[name]) != [] or name == "javascript"  # javascript:... acts only as a link (below)
    assert live_markup("Amount Awarded: '-5.0' out of range (expected 0.0 to 1000000000.0)") == []


# --- the planting covers every field --------------------------------------------------------------------------------


def test_every_field_of_every_contract_is_planted(hostile) -> None:
    _, _, fields, _, _ = hostile
    for contract in ("funding", "organisations", "returns", "issue_events", "reference_lookups"):
        for dataset in load_contract(contract).datasets:
            wanted = {f.name for f in dataset.fields if (dataset.name, f.name) not in NOT_A_CELL}
            assert fields[dataset.name] == wanted, dataset.name


# --- public outputs -----------------------------------------------------------------------------------------------


def messages(result, database: Path) -> dict[str, list[str]]:
    """Every message the build published, by where it is."""
    manifest = json.loads((database.parent / "manifest.json").read_text(encoding="utf-8"))
    return {
        "manifest.json files": [f["rejected"] for f in manifest["files"] if f["rejected"]],
        "manifest.json quarantine reasons": list(manifest["quarantine_reasons"]),
        "meta.load_files": [r for (r,) in query(database, "select rejected from meta.load_files where rejected is not null")],
        "quarantine.rows": [m for row in query(database, "select problem, rule from quarantine.rows") for m in row],
    }


def test_no_published_message_holds_live_markup(hostile) -> None:
    result, database, _, _, _ = hostile
    published = messages(result, database)
    refused = {m.split(": ")[0] for m in published["meta.load_files"]}  # an issue log's refusal may be withheld
    assert {f"{folder}/hostile_header.{'xlsx' if folder == 'returns' else 'csv'}"
            for folder in ("funding", "organisations", "returns", "reference")} <= refused
    assert result.files and all(f.rejected is None or not live_markup(f.rejected) for f in result.files)
    assert len(published["quarantine.rows"]) >= 100  # hostile values in checked fields were quarantined
    acted = [f"{place}: {message!r}: {live}" for place, found in published.items() for message in found
             if (live := live_markup(message))]
    assert acted == []


def test_each_quarantined_row_names_its_field_and_each_refused_file_itself(hostile) -> None:
    result, database, _, _, _ = hostile
    names = {n for s in SOURCES for d in load_contract(s.contract).datasets for f in d.fields for n in (f.name, f.title)}
    names |= {"Summary", "grant_id", "org_id", "body_code, financial_year, quarter"} | {
        ", ".join(k for k in key if k != "source_file") for s in SOURCES for key in s.key.values()}
    unnamed = [p for (p,) in query(database, "select problem from quarantine.rows") if p.split(": ")[0] not in names]
    assert unnamed == []
    for file in result.files:
        assert file.rejected is None or file.rejected.startswith(f"{file.path}: ")


def test_nothing_from_an_issue_log_is_published(hostile) -> None:
    result, database, _, _, root = hostile
    assert any(SECRET in f.read_text() for f in (root / "inbox" / "issues").glob("*.csv"))
    manifest = (database.parent / "manifest.json").read_text(encoding="utf-8")
    assert [t for t in CONFIDENTIAL_TEXT if t in manifest] == []
    leaks = []
    for schema, name in query(database, "select schema_name, table_name from duckdb_tables()"):
        rows = json.dumps(query(database, f'select * from "{schema}"."{name}"'), default=str)
        leaks += [f"{schema}.{name} holds {text!r}" for text in CONFIDENTIAL_TEXT if text in rows]
    assert leaks == []
    docs = "".join(p.read_text(encoding="utf-8") for p in (database.parent / "data_docs").rglob("*.html"))
    assert [t for t in CONFIDENTIAL_TEXT if t in docs] == []


def test_the_data_docs_hold_no_value_from_a_file(hostile) -> None:
    """GX writes unexpected values and their files into its HTML unescaped: the docs keep only counts. Every page a
    build wrote (public, and the issue logs' own) holds no element, attribute or text that came from a file, and
    begins with a policy that lets it run no script and fetch nothing."""
    result, database, _, _, root = hostile
    pages = sorted(p for p in root.rglob("*.html") if "inbox" not in p.parts)
    assert len(pages) >= 4 and any("restricted" in str(p) for p in pages)
    assert query(database, "select count(*) from meta.validation_results where not success")[0][0] > 0  # failures were documented
    found = []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        parsed = tags(html)
        handlers = {name for _, attrs in parsed.tags for name in attrs if name.startswith("on")}
        found += [f"{page.name}: event handler {h}" for h in handlers - {"onclick"}]  # GX's own buttons use onclick
        found += [f"{page.name}: <{tag} {attrs}>" for tag, attrs in parsed.tags
                  if "data-hostile" in attrs or (tag == "img" and attrs.get("src") == "x")
                  or any("evil.example" in (v or "") or (v or "").lower().startswith("javascript:") for v in attrs.values())]
        found += [f"{page.name}: script {s.strip()[:60]!r}" for s in parsed.scripts if "alert(" in s]
        found += [f"{page.name}: text {t!r}" for t in ("alert(", "evil.example", ":red[", "$x^2$", "jo.bloggs", "&lt;b&gt;long",
                                                    "<b>long", SECRET, "jo.reporter", "900999") if t in html]
        head = re.search(r"<head\b[^>]*>\s*(<[^>]+>)", html, re.IGNORECASE)
        if not (head and "Content-Security-Policy" in head.group(1) and "default-src 'none'" in head.group(1)):
            found.append(f"{page.name}: no content security policy first in its head")
    assert found == []


# --- an issue log's own messages, for its owner -------------------------------------------------------------------


def test_an_issue_logs_messages_quote_nothing_from_it(hostile) -> None:
    """Read, normalised and validated as a build does: every message about a planted row names the field and what
    was expected, and quotes nothing of the row (the restricted warehouse, for the data owner, holds these)."""
    from etl.validate import Validator

    _, _, _, inbox, _ = hostile
    frame = issues.read(inbox.path / "issues" / "hostile.csv", "issues/hostile.csv")["issue_events"]
    typed = issues.normalise(frame, AS_OF)
    contract = load_contract("issue_events").dataset("issue_events")
    checked = typed.filter(pl.col("problem").is_null()).select(
        pl.lit("issues/hostile.csv").alias("source_file"), "source_row", *[f.name for f in contract.fields if not f.confidential])
    outcome = Validator().validate("issue_events", iter([checked]), suite("issue_events", "issue_events"),
                                   {f.name: f.title for f in contract.fields})
    said = [p for p in typed["problem"].drop_nulls().to_list()] + outcome.failures_frame()["problem"].to_list()
    assert len(said) >= 30
    assert [p for p in said if any(t in p for t in (*CONFIDENTIAL_TEXT, *HOSTILE.values(), "jo.bloggs", "07700"))] == []
    assert [p for p in said if live_markup(p)] == []
    assert {p.split(": ")[0] for p in said} <= {f.name for f in contract.fields}


# --- the dashboard's text and links ------------------------------------------------------------------------------

LINKS = [
    ("https://www.gov.uk/government/publications/plan", True),
    ("https://www.gov.uk/plan?year=2025-26&q=1#section-2", True),
    ("https://example.org:8443/a/b.pdf", True),
    ("http://www.gov.uk/plan", False),
    ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("https://www.gov.uk/> [a link](https://evil.example/) ![p](https://evil.example/p.png)", False),
    ("[plan](https://www.gov.uk/plan)", False),
    ("<https://www.gov.uk/plan>", False),
    ("https://www.gov.uk/plan\"onmouseover=\"alert(1)", False),
    ("https://www.gov.uk/plan'", False),
    ("https://www.gov.uk/a plan", False),
    (" https://www.gov.uk/plan", False),
    ("https://www.gov.uk/plan\n", False),
    ("https://www.gov.uk/plan\t", False),
    ("https://user@evil.example/", False),
    ("https://www.gov.uk/(plan)", False),
    ("https://www.gov.uk/$x$", False),
    ("https://www.gov.uk/:red[x]", False),
    ("https://www.gov.uk/<img src=x onerror=alert(1)>", False),
    ("https://www.gov.uk/\\evil", False),
    ("https://gov.uk\u202e/lper", False),
    ("https://ex\u0430mple.org/", False),
    ("https:///plan", False),
    ("https://localhost/plan", False),
    ("//evil.example/plan", False),
    ("https://" + "a" * 2000 + ".org/", False),
    (HOSTILE["long"], False),
    (HOSTILE["contact"], False),
    ("", False),
    (None, False),
]


@pytest.mark.parametrize(("value", "is_link"), LINKS)
def test_a_link_is_shown_only_when_it_is_a_plain_https_address(value, is_link: bool) -> None:
    assert (fmt.checked_url(value) == value) if is_link else fmt.checked_url(value) is None
    shown = fmt.link_markdown(value)
    if is_link:
        text, target = re.fullmatch(r"\[(.*)\]\((\S+)\)", shown).groups()
        assert target == value and text.replace("\\", "").replace(fmt.ZERO_WIDTH_SPACE, "") == value
    else:
        assert shown.endswith(fmt.NOT_A_LINK)
        escaped = shown.removesuffix(fmt.NOT_A_LINK)
        assert unescaped_active(escaped) == []
        assert len(escaped.replace("\\", "").replace(fmt.ZERO_WIDTH_SPACE, "")) <= 201


def unescaped_active(markdown: str) -> list[str]:
    """Characters markdown, Streamlit's directives or LaTeX act on, left unescaped; addresses left linkable (an
    escaped ':', an '@' or 'www.' without a zero-width space before it)."""
    found = re.findall(r"[`*_{}\[\]()#+!|<>~$^=&:\\]", re.sub(r"\\.", "", markdown))
    return found + re.findall(r"(?<!\u200b)\\:|(?<!\u200b)@|www\\\.", markdown, flags=re.IGNORECASE)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_text_from_a_file_is_escaped_for_markdown_and_charts(name: str) -> None:
    value = HOSTILE[name]
    assert unescaped_active(fmt.markdown_text(value)) == []
    assert "<" not in fmt.chart_text(value) and ">" not in fmt.chart_text(value)
    assert fmt.markdown_text(value).replace("\\", "").replace(fmt.ZERO_WIDTH_SPACE, "") == " ".join(value.split())
