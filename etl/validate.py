"""Validation of loaded rows with Great Expectations, batch by batch, from the suites generated from the contracts.

Rows that fail an expectation are named by file and line (GX's unexpected index columns), so the build can
quarantine them with the rule and the value (a plain value of a public source only: `etl.normalise.quoted`; never a
value of a confidential source). Results per dataset, batch and expectation are kept for the data-quality page.
The Data Docs hold no value from any file: only counts reach them (GX writes values into its HTML unescaped).
Great Expectations is imported here only: it is slow to import and never needed by the dashboard.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from etl.normalise import quoted, rule_words

INDEX_COLUMNS = ["source_file", "source_row"]

RESULT_SCHEMA = {
    "dataset": pl.Utf8, "batch": pl.Int32, "expectation": pl.Utf8, "column_name": pl.Utf8, "rule": pl.Utf8,
    "success": pl.Boolean, "element_count": pl.Int64, "unexpected_count": pl.Int64, "kwargs": pl.Utf8,
}
FAILURE_SCHEMA = {"source_file": pl.Utf8, "source_row": pl.Int64, "problem": pl.Utf8}


def _confidential_datasets() -> frozenset[str]:
    """The datasets of confidential sources (issue logs), whose values no message quotes."""
    from etl.sources import CONFIDENTIAL_DATASETS

    return CONFIDENTIAL_DATASETS


@dataclass
class Validation:
    results: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)

    def results_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.results, schema=RESULT_SCHEMA)

    def failures_frame(self) -> pl.DataFrame:
        frame = pl.DataFrame(self.failures, schema=FAILURE_SCHEMA)
        # a row failing several rules is quarantined once, with the first rule it broke
        return frame.unique(["source_file", "source_row"], keep="first", maintain_order=True)


def _expectation_words(expectation: str, kwargs: dict) -> str:
    """The rule in words, with what was expected: 'out of range (expected 0 to 1000000000)'."""
    from data_contracts.to_expectations import RULES

    kinds = {gx_type: kind for kind, gx_type in RULES.items()}
    return rule_words(kinds.get(expectation, expectation), **{k: kwargs.get(k) for k in ("value_set", "regex", "min_value", "max_value")})


def _to_pandas(frame: pl.DataFrame):
    """GX compares date bounds with Python dates: date columns go over as Python dates, not datetime64."""
    pandas_frame = frame.to_pandas()
    for name, dtype in frame.schema.items():
        if dtype == pl.Date:
            pandas_frame[name] = pandas_frame[name].dt.date
    return pandas_frame


class Validator:
    """One ephemeral GX context for a build; validates datasets batch by batch."""

    def __init__(self) -> None:
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        import great_expectations as gx
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints each batch by hashing every value (a third of validation time); a build never looks a
        # batch up again, so no batch is fingerprinted (tests/test_validate.py fails if GX drops this setting)
        pandas_execution_engine.HASH_THRESHOLD = 0
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False}
        self.source = self.context.data_sources.add_pandas("covenant")

    def validate(self, dataset: str, batches: Iterable[pl.DataFrame], suite: dict, titles: dict[str, str]) -> Validation:
        """Validate `batches` (frames of at most a few hundred thousand rows) of one dataset with its suite."""
        from data_contracts.to_expectations import to_gx

        outcome = Validation()
        confidential = dataset in _confidential_datasets()
        gx_suite = self.context.suites.add(to_gx(suite))
        asset = self.source.add_dataframe_asset(name=dataset)
        batch = asset.add_batch_definition_whole_dataframe(f"{dataset} batches")
        definition = self.context.validation_definitions.add(
            self.gx.ValidationDefinition(name=f"{dataset} validation", data=batch, suite=gx_suite)
        )
        for number, chunk in enumerate(batches, start=1):
            result = definition.run(
                batch_parameters={"dataframe": _to_pandas(chunk)},
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS},
            )
            for item in result.results:
                config = item.expectation_config
                column = config.kwargs.get("column")
                rule = _expectation_words(config.type, config.kwargs)
                detail = item.result or {}
                outcome.results.append({
                    "dataset": dataset, "batch": number, "expectation": config.type, "column_name": column,
                    "rule": rule, "success": bool(item.success), "element_count": int(detail.get("element_count", chunk.height) or 0),
                    "unexpected_count": int(detail.get("unexpected_count", 0) or 0),
                    "kwargs": json.dumps({k: v for k, v in config.kwargs.items() if k not in ("column", "batch_id")}, default=str),
                })
                for row in detail.get("unexpected_index_list") or []:
                    value = row.get(column)
                    shown = "" if confidential or value is None or value != value else f"{quoted(value)} "
                    outcome.failures.append({
                        "source_file": row["source_file"], "source_row": int(row["source_row"]),
                        "problem": f"{titles.get(column, column)}: {shown}{rule}",
                    })
        return outcome

    def write_docs(self, docs_dir: Path) -> Path | None:
        """GX Data Docs (HTML) for this build's validations, under `docs_dir`; returns its index page. The results
        they are made from keep only their counts (`counts_only`), and each page may run no script and fetch
        nothing (`offline`)."""
        try:
            store = self.context.validation_results_store
            for key in store.list_keys():
                store.set(key, counts_only(store.get(key)))
            site = {"class_name": "SiteBuilder", "show_how_to_buttons": False,
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}
            self.context.add_data_docs_site(site_name="covenant", site_config=site)
            self.context.build_data_docs(site_names=["covenant"])
        except Exception:  # Data Docs are a convenience; their failure never fails a build
            return None
        index = docs_dir / "index.html"
        if not index.exists():
            return None
        for page in docs_dir.rglob("*.html"):
            page.write_text(offline(page.read_text(encoding="utf-8")), encoding="utf-8")
        return index


def counts_only(suite_result):
    """A GX suite validation result with nothing from the rows: each expectation's result keeps its numbers (element,
    missing and unexpected counts and percentages) and drops the values (unexpected lists, their index rows with file
    names, partial counts, observed values) and any exception's text, which GX would write into the Data Docs' HTML
    as it is."""
    for item in suite_result.results:
        item.result = {k: v for k, v in (item.result or {}).items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "observed_value"}
        item.exception_info = _without_text(item.exception_info)
    return suite_result


def _without_text(info):
    """GX's exception info (flat, or by metric) without the exception's message and traceback."""
    if not isinstance(info, dict):
        return info
    return {k: None if k in ("exception_message", "exception_traceback") else _without_text(v) for k, v in info.items()}


EXTERNAL = (  # what GX's pages fetch from the internet: stylesheets, scripts, logos
    re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.IGNORECASE),
    re.compile(r"<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE | re.DOTALL),
    re.compile(r"<img\b[^>]*\bsrc=[\"']https?://[^>]*>", re.IGNORECASE),
)
# no script runs (GX's own, or any markup that slipped into a page) and nothing is fetched; inline styles only
NO_SCRIPT_NO_FETCH = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                      'style-src \'unsafe-inline\'; form-action \'none\'; base-uri \'none\'">')
PLAIN_STYLE = ("<style>body{font-family:sans-serif;margin:1.5rem;color:#0b0c0c}table{border-collapse:collapse}"
               "td,th{border:1px solid #b1b4b6;padding:4px 8px;text-align:left}a{color:#1d70b8}</style>")


def offline(html: str) -> str:
    """A Data Docs page that fetches nothing and runs no script: external stylesheets, scripts and images removed, a
    plain style of our own in their place (the product works offline), and a content security policy, first in the
    head, that lets the browser run no script and fetch nothing at all."""
    for pattern in EXTERNAL:
        html = pattern.sub("", html)
    html = re.sub(r"<head\b[^>]*>", lambda m: m.group(0) + NO_SCRIPT_NO_FETCH, html, count=1, flags=re.IGNORECASE)
    return html.replace("</head>", PLAIN_STYLE + "</head>", 1)
