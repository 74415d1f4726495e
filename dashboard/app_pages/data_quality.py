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
    compared = figures.release_changes(comparison)
    st.markdown(compared.summary)
    if compared.compared:
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
    st.markdown(figures.returns_summary(by_quarter))
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
    st.markdown(figures.funders_summary(by_funder))
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
st.markdown(figures.validation_summary(validation))

st.header("Quarantined rows by reason")
reasons = queries.run("quarantine_reasons")
st.markdown(figures.quarantine_summary(reasons))
if reasons.height:
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
control = figures.disclosure_control(queries.run("disclosure_summary"))
if control is None:
    st.markdown("This build has no issue figures.")
else:
    BREAKDOWN_WORDS = {"all": "All issues"} | {b.key: b.label for b in breakdowns.BREAKDOWNS}
    st.markdown(control.summary)
    components.show_table(control.breakdowns.select(
        pl.col("breakdown").replace_strict(BREAKDOWN_WORDS, default=pl.col("breakdown")).alias("Breakdown"),
        pl.col("period_level").replace_strict({"year": "Financial year", "quarter": "Quarter"}).alias("By"),
        pl.col("counts").alias("Counts"), pl.col("published").alias("Published"), pl.col("suppressed").alias("Suppressed [c]"),
        pl.col("withheld").alias("Part of a small total [c]"),
        pl.format("{}%", "not_published").alias("Not published")))

st.header("Files")
files = queries.run("load_files")
st.markdown(figures.files_summary(files))
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
