"""Data quality: when each warehouse was built from which files, what validation found per source, which rows were
quarantined and why, and the Great Expectations Data Docs."""

from functools import partial

import polars as pl
import streamlit as st

from dashboard import components, extracts, figures, layout, queries
from dashboard import format as fmt
from etl import periods
from etl.settings import RETENTION_DAYS
from warehouse import breakdowns

layout.page_header(
    "Data quality",
    "What was loaded and what was not. Every file in the inbox is read; each row is validated against its data "
    "contract with Great Expectations, and rows that break a rule are quarantined with the reason, not loaded. "
    "Counts for issue logs are withheld to protect the confidentiality of reporters.",
)
if layout.data_status() is None:
    st.stop()

st.header("Load history")
HISTORY_COLUMNS = {"built_at": "Built", "files": "Files", "rows_read": "Rows read", "rows_loaded": "Rows loaded",
                   "rows_quarantined": "Rows quarantined", "files_rejected": "Files rejected", "read_now": "Published now"}
history = pl.DataFrame(queries.load_history())
if history.height:  # when each was built, as UK readers write it
    history = history.with_columns(fmt.text_column("built_at", layout.published_on, history, "built_at"))
components.show_table(history.rename(HISTORY_COLUMNS, strict=False))
st.caption(f"A superseded build is kept for {RETENTION_DAYS:g} days (its figures stay reachable); rows of issue logs "
           "are not counted here.")

st.header("What's new in this release")
changes = queries.release_changes()
if changes is None:
    st.markdown("This release was built before releases were compared with the one before.")
else:
    comparison, file_changes, revised = changes
    if comparison["previous_release"] is None:
        st.markdown("This is the first release: there is nothing before it to compare with.")
    elif comparison["files_changed"] is None:
        st.markdown(f"The release before ({comparison['previous_release']}) could not be read, so nothing was compared.")
    else:
        st.markdown(
            f"Against the release before ({comparison['previous_release']}): {fmt.plural(comparison['files_changed'], 'file')} "
            f"added, replaced or removed; {fmt.plural(comparison['figures_revised'], 'figure')} revised, "
            f"{fmt.count(comparison['figures_added'])} new and {fmt.count(comparison['figures_removed'])} no longer given "
            "(funding and returns figures, every period and breakdown). Issue figures are not compared between releases: "
            "the difference of two published counts could be a count under 5.")
        if file_changes.height:
            components.show_table(file_changes.select(
                pl.col("path").alias("File"), pl.col("source").alias("Source"), pl.col("change").alias("Change"),
                pl.col("rows_loaded_before").alias("Rows loaded before"), pl.col("rows_loaded_now").alias("Rows loaded now")))
        if revised.height:
            shown_revisions = revised.with_columns(
                fmt.text_column("before", fmt.indicator_value, revised, "value_before", "unit"),
                fmt.text_column("now", fmt.indicator_value, revised, "value_now", "unit"),
                fmt.text_column("changed_by", fmt.indicator_change, revised, "change", "unit"))
            components.show_table(shown_revisions.select(
                pl.col("indicator_name").alias("Indicator"), pl.col("period").alias("Period"),
                pl.col("breakdown_name").alias("Of"), pl.col("before").alias("Before"), pl.col("now").alias("Now"),
                pl.col("changed_by").alias("Change"), pl.col("numerator_before").alias("Numerator before"),
                pl.col("numerator_now").alias("Numerator now"), pl.col("denominator_before").alias("Denominator before"),
                pl.col("denominator_now").alias("Denominator now"), pl.col("why").alias("Why")))
            st.download_button(f"Download every revised figure ({fmt.plural(revised.height, 'row')}, CSV)",
                               partial(extracts.csv_bytes, revised), file_name="covenant-revisions.csv", mime="text/csv",
                               on_click="ignore")

st.header("Returns in, by quarter")
info = queries.build_info()
bodies = queries.breakdown_names().filter(pl.col("breakdown") == "public_body").select("code", "name")
returned = queries.return_periods()
if returned.height:
    first = figures.period_index(f"{periods.BASELINE_FINANCIAL_YEAR} Q1")
    by_quarter = figures.returns_by_quarter(bodies, returned, first, figures.last_complete(info["as_of"]))
    latest = by_quarter.row(0, named=True)
    st.markdown(f"Every public body is asked for a return each quarter, due {periods.RETURN_DUE_DAYS} days after the "
                f"quarter ends. In {latest['period']}, {latest['returned']:,} of {latest['bodies']:,} bodies made one, "
                f"{latest['late']:,} of them late. A return is late when the date it says it was sent is after it was due; "
                "one that gives no date is not counted as late. A figure built on returns says how many bodies it is from.")
    components.show_table(by_quarter.select(
        pl.col("period").alias("Quarter"), pl.col("returned").alias("Bodies with a return"), pl.col("late").alias("Of which late"),
        pl.col("bodies").alias("Bodies asked"), pl.col("missing").list.len().alias("Bodies with none")))
    lacking = figures.returns_lacking(by_quarter)
    if lacking.height:
        st.markdown("**Who made no return, or a late one**, quarter by quarter:")
        components.show_table(lacking.select(pl.col("period").alias("Quarter"), pl.col("body").alias("Public body"),
                                             pl.col("return").alias("Return")))
else:
    st.markdown("No departmental return has been loaded yet.")

st.header("Funders' files, by financial year")
funder_years = queries.run("funder_years")
if funder_years.height:
    years = sorted(set(funder_years["financial_year"]))
    by_funder = figures.funders_by_year(funder_years, years)
    gaps = by_funder.filter(pl.col("missing").list.len() > 0)
    st.markdown(f"{fmt.plural(by_funder.height, 'funder')} published grants in 360Giving form. For each financial year, "
                "the grants loaded from its files (by award date) and how many files they came from; “none” marks a "
                "year after its first with no grant published"
                + (f": {gaps.height} {'funder has' if gaps.height == 1 else 'funders have'} such a gap." if gaps.height else "."))
    components.show_table(by_funder.select(
        pl.col("funder").alias("Funder"), *[pl.col(y) for y in years],
        fmt.date_column("latest_award").alias("Latest award"),
        pl.col("missing").list.join("; ").alias("Nothing published for")))
else:
    st.markdown("No grant has been loaded yet.")

st.header("Validation by source")
validation = queries.run("validation_summary")
shown = validation.select(
    pl.col("dataset").alias("Dataset"), pl.col("expectations").alias("Expectations checked"),
    pl.col("failed").alias("Expectations with failures"),
    pl.when(pl.col("counts_withheld")).then(pl.lit("withheld")).otherwise(pl.col("rows_breaking_a_rule").cast(pl.Utf8))
    .alias("Rows breaking a rule"))
components.show_table(shown)
failing = validation.filter(pl.col("failed") > 0)
st.markdown("Every expectation passed." if failing.is_empty() else
            f"{failing.height} of {validation.height} datasets had rows breaking a rule; those rows were quarantined.")

st.header("Quarantined rows by reason")
reasons = queries.run("quarantine_reasons")
if reasons.is_empty():
    st.markdown("No row was quarantined.")
else:
    st.markdown(f"{fmt.count(reasons['rows'].sum())} rows were quarantined for {reasons.height} reasons. "
                "Issue events are not listed here.")
    components.show_table(reasons.select(pl.col("dataset").alias("Dataset"), pl.col("rule").alias("Reason"),
                                pl.col("rows").alias("Rows"), pl.col("example_file").alias("For example, file"),
                                pl.col("example_row").alias("line")))
    chosen = st.selectbox("See the quarantined rows of", reasons["dataset"].unique(maintain_order=True).to_list(),
                          key="quarantine_dataset")
    rows = queries.run("quarantine_rows", dataset=chosen, limit=500)
    components.show_table(rows.rename({"source_file": "File", "source_row": "Line", "problem": "What was wrong"}))
    st.download_button("Download these rows (CSV)", extracts.csv_bytes(rows), file_name=f"covenant-quarantine-{chosen}.csv",
                       mime="text/csv", key="quarantine_download")

st.header("Issue figures: disclosure control")
disclosure = queries.run("disclosure_summary")
if disclosure.is_empty():
    st.markdown("This build has no issue figures.")
else:
    BREAKDOWN_WORDS = {"all": "All issues"} | {b.key: b.label for b in breakdowns.BREAKDOWNS}
    shown = disclosure.with_columns((1 - pl.col("published") / pl.col("counts")).alias("not published"))
    st.markdown(
        f"Of {fmt.count(disclosure['counts'].sum())} counts of issues (raised, resolved, still open, late and about "
        f"reprisal, zeros included), {fmt.count(disclosure['published'].sum())} are published. The others are shown "
        "as [c]: a count from 1 to 4, a count that would let one be worked out, or a part of a total too small to "
        "break down. An attack with every relation between the figures recovers none of them "
        "(see the disclosure control notes in the documentation).")
    components.show_table(shown.select(
        pl.col("breakdown").replace_strict(BREAKDOWN_WORDS, default=pl.col("breakdown")).alias("Breakdown"),
        pl.col("period_level").replace_strict({"year": "Financial year", "quarter": "Quarter"}).alias("By"),
        pl.col("counts").alias("Counts"), pl.col("published").alias("Published"), pl.col("suppressed").alias("Suppressed [c]"),
        pl.col("withheld").alias("Part of a small total [c]"),
        pl.format("{}%", (100 * pl.col("not published")).round(0).cast(pl.Int64)).alias("Not published")))

st.header("Files")
files = queries.run("load_files")
rejected = files.filter(pl.col("rejected").is_not_null())
st.markdown(f"{files.height} files read; {rejected.height} rejected whole"
            + (": the reasons are below." if rejected.height else "."))
components.show_table(files.select(pl.col("path").alias("File"), pl.col("source").alias("Source"), pl.col("rows_read").alias("Rows read"),
                          pl.col("rows_loaded").alias("Loaded"), pl.col("rows_quarantined").alias("Quarantined"),
                          pl.col("rejected").alias("Rejected because"), pl.col("duplicate_of").alias("Same bytes as")))


st.header("Great Expectations Data Docs")
if queries.has_data_docs():
    st.markdown("The full validation report, expectation by expectation, as Great Expectations writes it (it opens in "
                "any browser and fetches nothing from the internet).")
    st.download_button("Download the Data Docs (ZIP of HTML pages)", data=partial(queries.data_docs_zip, queries.release()),
                       file_name="covenant-data-docs.zip", mime="application/zip", key="data_docs", on_click="ignore")
else:
    st.markdown("This build has no Data Docs.")
