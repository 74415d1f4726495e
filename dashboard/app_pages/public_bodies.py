"""Public bodies: a scorecard of every body against the median of its peers (bodies of the same type), and the
profile of one body: its leads and action plan, meetings, commitments, consultations, funding practice and issues."""

from functools import partial

import polars as pl
import streamlit as st

from dashboard import compare, components, extracts, figures, filters, layout, queries
from dashboard import format as fmt
from dashboard.scorecard import against_peers, body_scorecard, scorecard_view
from etl import periods
from warehouse.indicators import body_type_scopes, shown_on

layout.page_header(
    "Public bodies",
    "How each public body is doing against the Covenant, compared with its peers: bodies of the same type "
    "(departments with departments, councils with councils). Choose a body in the filters to see its profile; "
    "choose a type of body to see only that peer group.",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
names = queries.breakdown_names()
type_names = dict(names.filter(pl.col("breakdown") == "body_type").select("code", "name").iter_rows())
bodies = names.filter(pl.col("breakdown") == "public_body")
body_names = dict(bodies.select("code", "name").iter_rows())
body = selection.values.get("body")
body_type = dict(bodies.select("code", "parent").iter_rows()).get(body) if body else selection.values.get("body_type")
declared = queries.indicators().filter(pl.col("breakdowns").list.contains("public_body"))
span = selection.headline_span(info["as_of"])
period = figures.span_name(*span)

# the peers: bodies of the same type, or of the same type in the same region (local bodies)
if body:
    st.header(selection.names["body"])
regions = queries.run("body_regions")
body_region = dict(regions.select("code", "region_code").iter_rows()).get(body) if body else None
peers_by = filters.page_choice("Compare with", ["type", "region"] if body_region else ["type"], "peers",
                               format_func=lambda p: {"type": "Bodies of the same type",
                                                      "region": "Bodies of the same type in the same region"}[p]) if body else "type"
scorecard = body_scorecard(selection, declared, span, body_type, body_region if peers_by == "region" else None)
if scorecard.is_empty():
    st.warning(f"No public body has figures for {selection.describe()}. Widen the period or clear a filter.")
    st.stop()
others = [k for k in selection.record_filters if k not in ("public_body", "body_type")]
if others:
    st.caption(f"Funding and returns figures follow the {', '.join(selection.names[k] for k, b, _ in selection.chosen_breakdowns if b in others)} "
               "chosen; issue figures by public body are published by financial year across all places and sizes.")

if body is None:
    st.header(f"Scorecard, {period}")
    st.markdown("Each body's value on every indicator published by public body, with the median of its peers. "
                "[c]: suppressed to protect the confidentiality of issue reporters; –: nothing to count; "
                f"†: a {fmt.LOW_BASE}, given no RAG status; not applicable: the indicator does not apply to bodies of that type. "
                f"[How each indicator is defined]({components.definition_link(declared['indicator_id'][0])}).")
    coverage = queries.return_coverage(span, info["as_of"], selection.without("public_body"))
    no_return = coverage.filter(pl.col("returns") == 0)["code"].to_list()
    late = coverage.filter(pl.col("late") > 0)["code"].to_list()
    st.caption(f"Figures from departmental returns rest on {figures.coverage_words(coverage)} for {period}; "
               "“(no return)” marks a body with none, whose figures from returns are blank; “(late return)” one whose "
               f"return came in more than {periods.RETURN_DUE_DAYS} days after its quarter ended.")
    shown = scorecard_view(scorecard, type_names, no_return, late)
    if shown.lagging:
        st.markdown(f"**Lagging most** (most indicators red against their thresholds), among {shown.lagging}.")
    for number, group in enumerate(shown.groups):
        with st.expander(f"{group.type_name}: {group.bodies} bodies", expanded=body_type is not None or number == 0):
            components.show_table(group.table)
    download = scorecard.select("body_code", "body_name", "body_type", "indicator_id", "indicator_name", "applicable", "value",
                                "unit", "suppressed", "low_base", "rag", "rag_green", "rag_amber", "peer_median", "rank",
                                "numerator", "denominator", "lacking", "records")
    st.download_button(f"Download the scorecard, {period} (CSV)", partial(extracts.csv_bytes, download),  # made on click
                       file_name=f"covenant-scorecard-{components.slug(period)}{'-' + body_type if body_type else ''}.csv",
                       mime="text/csv", on_click="ignore")
    compare.bodies(selection, declared, span, body_names)
    st.stop()

# --- one body's profile ---------------------------------------------------------------------------------------------
name = selection.names["body"]
peer_words = fmt.plural_noun(type_names.get(body_type, "public body").lower())
if peers_by == "region":
    region_name = names.filter((pl.col("breakdown") == "region") & (pl.col("code") == body_region))["name"]
    peer_words += f" in {region_name[0] if region_name.len() else 'its region'}"
st.caption(f"{type_names.get(body_type, 'Public body')}. Compared with the other {peer_words}, {period}.")
components.briefing_download({"body": body}, name)
returns = queries.body_returns(body)
in_period = returns.filter(pl.Series([span[0] <= figures.period_index(p) <= span[1] for p in returns["period"]], dtype=pl.Boolean))
applies = dict(zip(declared["indicator_id"], declared["applies_to"].to_list(), strict=True))
[leads] = shown_on("public_bodies", "leads")  # its body types are those with a ministerial or elected-member lead
local = body_type_scopes().get(body_type) == "local"
if in_period.height:
    last = in_period.row(-1, named=True)
    st.subheader(f"Leads and action plan, as reported for {last['period']}"
                 + (" (the last return in the period chosen)" if in_period.height > 1 else ""))
    late = in_period.filter(pl.col("timeliness") == "late").height if "timeliness" in in_period.columns else 0
    if "due_on" in last:  # not in a release built before returns said when they were sent
        st.caption(fmt.sent_words(last["submitted_on"], last["due_on"])
                   + (f" {late} of its {in_period.height} returns for {period} came in late." if in_period.height > 1 else ""))
    columns = st.columns(4)
    columns[0].metric("Action plan published", "Yes" if last["action_plan_published"] else "No")
    lead = "Elected member lead named" if local else "Ministerial lead named"
    if body_type in applies.get(leads, [body_type]):
        columns[1].metric(lead, "Yes" if last["ministerial_lead_named"] else "No")
    else:
        columns[1].metric("Ministerial or elected member lead", "Not applicable",
                          help="An integrated care board has neither a minister nor elected members.")
    columns[2].metric("Senior official lead named", "Yes" if last["senior_official_lead_named"] else "No")
    columns[3].metric(*fmt.meetings_metric(last["meetings_held"], last["meetings_committed"]))
    if last["action_plan_published"] and last["action_plan_url"]:
        st.markdown(f"Action plan: {fmt.link_markdown(last['action_plan_url'])}")
elif returns.height:
    st.info(f"{name} made no return for {period}; its last was for {returns['period'][-1]}.")
else:
    st.info(f"{name} has made no return yet, so there is nothing on its plan, leads, meetings or commitments.")

peers_view = against_peers(scorecard, body, name, period, peer_words)
mine, comparable = peers_view.figures, peers_view.drawn
if mine.height:
    figure = components.figure([
        {"type": "bar", "y": comparable["indicator_name"].to_list(), "x": comparable["value"].to_list(), "name": name,
         "orientation": "h", "text": comparable["shown"].to_list(), "hovertemplate": "%{y}: %{text}<extra>" + name + "</extra>"},
        {"type": "bar", "y": comparable["indicator_name"].to_list(), "x": comparable["peer_median"].to_list(),
         "name": "Median of its peers", "orientation": "h", "text": comparable["peer_shown"].to_list(),
         "hovertemplate": "%{y}: %{text}<extra>Median of its peers</extra>"},
    ], barmode="group", yaxis={"autorange": "reversed"}, xaxis=components.axis("Per cent", range=[0, 105]),
        height=max(320, 46 * comparable.height + 80), legend={"orientation": "h", "y": -0.15})
    table = mine.select(pl.col("indicator_name").alias("Indicator"),
                        *components.numbers(mine, {"value": name, "peer_median": "Median of its peers"}),
                        pl.col("rank").alias(f"Rank among {peer_words}"), pl.col("peers_with_value").alias("Of (peers with a value)"),
                        components.rag_shown(mine),
                        pl.col("numerator").alias("Numerator"), pl.col("denominator").alias("Denominator"),
                        pl.col("low_base").alias(components.LOW_BASE_COLUMN),
                        pl.col("lacking").alias("Records lacking the field"))
    components.chart(f"{name} against its peers, {period}", peers_view.summary, figure, table,
                     file_stem=f"{body}-against-peers-{period}", sources=("funding", "returns"),
                     left_out=f"{fmt.count(mine['lacking'].sum())} records left out for lacking the field an indicator needs."
                     + (f" Not applicable to {peer_words.split(' in ')[0]}, so not shown: {', '.join(peers_view.not_applicable)}."
                        if peers_view.not_applicable else ""))
    ranked_ids = peers_view.ranked_ids
    if ranked_ids:
        st.subheader(f"{name} among its peers")
        indicator_names = dict(declared.select("indicator_id", "name").iter_rows())
        chosen = filters.page_choice("Indicator to rank", ranked_ids, "rank_indicator", format_func=indicator_names.get)
        peers = scorecard.filter(pl.col("indicator_id") == chosen).select(
            pl.col("body_code").alias("breakdown_code"), pl.col("body_name").alias("breakdown_name"), "value", "numerator",
            "denominator", "lacking", "suppressed", "rag", "low_base")
        components.ranking(declared.filter(pl.col("indicator_id") == chosen).row(0, named=True), peers, "public_body", period,
                           highlight=body, peers=peer_words)

compare.bodies(selection, declared, span, body_names, first=body)
commitments = queries.body_commitments(body)
if commitments.height:
    st.subheader(f"Commitments, as reported for {commitments['period'][0]}")
    counts = commitments.group_by("status").len().sort("len", descending=True)
    st.markdown(", ".join(f"{row['len']} {row['status']}" for row in counts.iter_rows(named=True)) + ".")
    components.show_table(commitments.select(pl.col("principle").str.to_titlecase().alias("Principle"),
                                    pl.col("commitment_ref").alias("Reference"), pl.col("commitment").alias("Commitment"),
                                    pl.col("status").alias("Status"), fmt.date_column("due_date").alias("Due")))
consultations = queries.body_consultations(body)
if consultations.height:
    st.subheader("Consultations")
    met = consultations["meets_consultation_standard"].sum()
    st.markdown(f"{met} of {consultations.height} consultations were open 12 weeks, or shorter with a stated reason.")
    components.show_table(consultations.select(pl.col("title").alias("Consultation"), fmt.date_column("opened_on").alias("Opened"),
                                      fmt.date_column("closed_on").alias("Closed"), pl.col("weeks_open").round(1).alias("Weeks open"),
                                      pl.col("shorter_period_reason").fill_null("–").alias("Reason for a shorter period"),
                                      fmt.date_column("response_published_on").alias("Response published")))
