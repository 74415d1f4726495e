"""The naive dashboard: the pages of the Covenant dashboard as a typical Streamlit app computes them, callable
without Streamlit so that a benchmark can time them.

A typical app reads every award from the raw files with pandas once, keeps the frame in memory
(`@st.cache_data` in a real app; a module-level cache here), and on every page view and every filter change
filters that frame and aggregates it again in pandas. Each view function below returns the frames its page would
chart. Only award-based figures are computed: the returns and issue logs behind the other indicators are a few
thousand rows, whatever the number of awards.

    from benchmarks import naive_dashboard as dash
    dash.load(Path("/tmp/dev_inbox"))
    frames = dash.VIEWS["overview"](dash.FILTERED)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from benchmarks import naive_pipeline as naive

BASELINE_YEAR = "2024-25"
HEADLINE_AWARD_INDICATORS = ("awards_paid_in_advance", "full_cost_recovery_funding_share",
                             "funding_to_smaller_organisations", "grant_records_complete")
# the award-based indicators of each principle (warehouse/indicators/*.sql), in the dashboard's order
PRINCIPLES = {
    "recognition": ("agreements_without_advocacy_clause", "awards_to_smaller_organisations",
                    "full_cost_recovery_funding_share", "funding_to_smaller_organisations"),
    "partnership": ("awards_paid_in_advance", "awards_three_years_or_more", "awards_two_years_or_more"),
    "participation": ("funding_per_head",),
    "transparency": ("grant_records_complete",),
    "accountability": (),
}
SIZE_INDICATORS = ("awards_two_years_or_more", "awards_paid_in_advance", "full_cost_recovery_funding_share")


def current_year(today: dt.date | None = None) -> str:
    """The financial year running today: '2026-27'."""
    return naive.financial_year(pd.Series([pd.Timestamp(today or dt.date.today())])).iloc[0]


DEFAULT_FILTERS = {"body": None, "body_type": None, "region": None, "district": None, "nation": None, "size": None,
                   "principle": None, "from_year": BASELINE_YEAR, "to_year": current_year()}
FILTERED = DEFAULT_FILTERS | {"body_type": "local_authority"}

# --- the cached frame -----------------------------------------------------------------------------------------------

_cache: dict[Path, pd.DataFrame] = {}  # what @st.cache_data would hold: one frame per inbox


def load(inbox: Path) -> pd.DataFrame:
    """Every award from the raw files, read with pandas, joined to the organisation register (size band) and the
    districts (region, nation); read once per inbox and kept in memory."""
    inbox = Path(inbox).resolve()
    if inbox not in _cache:
        organisations = naive.clean_organisations(naive.read_organisations(inbox))
        _cache.clear()  # one inbox at a time, as one app serves one data folder
        _cache[inbox] = naive.clean_awards(naive.read_funding(inbox), organisations)
    return _cache[inbox]


def awards() -> pd.DataFrame:
    """The cached frame (`load` must have been called)."""
    if not _cache:
        raise RuntimeError("call load(inbox) first")
    return next(iter(_cache.values()))


# --- filtering, on every call -----------------------------------------------------------------------------------------

FILTER_COLUMNS = {"body": "body_code", "body_type": "body_type", "district": "district_code", "region": "region_code",
                  "nation": "nation_code", "size": "size_band"}


def filtered(filters: dict, years: bool = True) -> pd.DataFrame:
    """The awards matching every filter set (and the financial years chosen, unless `years` is False)."""
    frame = awards()
    mask = pd.Series(True, index=frame.index)
    for key, column in FILTER_COLUMNS.items():
        if filters.get(key):
            mask &= frame[column] == filters[key]
    if years:
        mask &= frame["financial_year"].between(filters["from_year"], filters["to_year"])
    return frame[mask.fillna(False)]


def chosen_years(filters: dict) -> list[str]:
    """The financial years from from_year to to_year."""
    first, last = int(filters["from_year"][:4]), int(filters["to_year"][:4])
    return [f"{year}-{(year + 1) % 100:02d}" for year in range(first, last + 1)]


def latest_complete_year(filters: dict) -> str:
    """The latest financial year chosen that is over (the current one only when it is all there is)."""
    years = chosen_years(filters)
    return next((year for year in reversed(years) if year != current_year()), years[-1])


def indicator(frame: pd.DataFrame, indicator_id: str, by: list[str]) -> pd.DataFrame:
    """One award-based indicator for every group of `by`: by..., numerator, denominator, value."""
    if indicator_id == "funding_per_head":
        return funding_per_head(frame, by)
    return naive.award_indicator(frame, indicator_id, by)


def funding_per_head(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Pounds awarded to benefit each place per head of its population (districts with no awards count as £0),
    grouped by financial year and/or district, region or nation."""
    places = naive.districts().dropna(subset=["population"])
    place = [c for c in by if c in ("district_code", "region_code", "nation_code")]
    periods = [c for c in by if c not in place]
    amounts = frame.dropna(subset=["amount_gbp", "district_code"]).groupby(periods + ["district_code"])["amount_gbp"].sum()
    amounts = amounts.rename("numerator").reset_index()
    every = places if not periods else places.merge(frame[periods].drop_duplicates(), how="cross")
    cells = every.merge(amounts, on=periods + ["district_code"], how="left").fillna({"numerator": 0})
    sums = cells.groupby(by)[["numerator", "population"]].sum().reset_index().rename(columns={"population": "denominator"})
    sums["value"] = sums["numerator"] / sums["denominator"]
    return sums


# --- the page views -----------------------------------------------------------------------------------------------


def overview(filters: dict) -> dict[str, pd.DataFrame]:
    """Each award-based indicator in the latest complete year chosen, with its change since the year before and
    since the 2024-25 baseline; what changed most; the headline percentages against the baseline."""
    frame = filtered(filters, years=False)  # the previous year and the baseline may lie outside the years chosen
    year = latest_complete_year(filters)
    previous = f"{int(year[:4]) - 1}-{int(year[:4]) % 100:02d}"
    rows = []
    for indicator_id in naive.AWARD_INDICATORS:
        by_year = indicator(frame, indicator_id, ["financial_year"]).set_index("financial_year")["value"]
        rows.append({"indicator_id": indicator_id, "financial_year": year, "value": by_year.get(year),
                     "previous_value": by_year.get(previous), "baseline_value": by_year.get(BASELINE_YEAR),
                     "headline": indicator_id in HEADLINE_AWARD_INDICATORS})
    latest = pd.DataFrame(rows)
    latest["change_since_previous"] = latest["value"] - latest["previous_value"]
    latest["change_since_baseline"] = latest["value"] - latest["baseline_value"]
    changed = latest.dropna(subset=["change_since_previous"]).sort_values("change_since_previous")
    return {"headlines": latest[latest["headline"]], "latest": latest,
            "changed_most": pd.concat([changed.head(3), changed.tail(3)]),
            "against_baseline": latest[latest["headline"]].dropna(subset=["value", "baseline_value"])}


def principles(filters: dict) -> dict[str, pd.DataFrame]:
    """One principle's award-based indicators: at a glance (latest complete year), each one's trend by quarter,
    and each one by type of public body in the latest complete year."""
    principle = filters.get("principle") or next(iter(PRINCIPLES))
    frame = filtered(filters)
    year = latest_complete_year(filters)
    in_year = frame[frame["financial_year"] == year]
    out, glance = {}, []
    for indicator_id in PRINCIPLES[principle]:
        out[f"trend:{indicator_id}"] = indicator(frame, indicator_id, ["financial_year", "quarter"])
        if indicator_id == "funding_per_head":
            out[f"by_region:{indicator_id}"] = indicator(in_year, indicator_id, ["region_code"])
        else:
            out[f"by_body_type:{indicator_id}"] = indicator(in_year, indicator_id, ["body_type"])
        glance.append(indicator(in_year, indicator_id, ["financial_year"]).assign(indicator_id=indicator_id))
    out["at_a_glance"] = pd.concat(glance, ignore_index=True) if glance else pd.DataFrame()
    return out


def public_bodies(filters: dict) -> dict[str, pd.DataFrame]:
    """The scorecard: every public body (of the type chosen, or of the body chosen) on every award-based
    indicator in the latest complete year, with the median of its peers (bodies of the same type); and the
    profile of the body chosen, if any."""
    body_type = filters.get("body_type")
    if filters.get("body"):
        types = naive.public_bodies().set_index("code")["body_type"]
        body_type = types.get(filters["body"])
    year = latest_complete_year(filters)
    frame = awards()
    mask = frame["financial_year"] == year
    if body_type:
        mask &= frame["body_type"] == body_type
    in_year = frame[mask]
    cards = []
    for indicator_id in naive.AWARD_INDICATORS:
        values = indicator(in_year, indicator_id, ["body_type", "body_code"]).assign(indicator_id=indicator_id)
        values["peer_median"] = values.groupby("body_type")["value"].transform("median")
        cards.append(values)
    scorecard = pd.concat(cards, ignore_index=True)
    out = {"scorecard": scorecard}
    if filters.get("body"):
        out["profile"] = scorecard[scorecard["body_code"] == filters["body"]]
    return out


def localities(filters: dict) -> dict[str, pd.DataFrame]:
    """Funding per head in the latest complete year chosen: by English region and by the other nations (the tile
    map), every district ranked, and the local public bodies of the place chosen."""
    year = latest_complete_year(filters)
    frame = filtered(filters)
    in_year = frame[frame["financial_year"] == year]
    regions = funding_per_head(in_year, ["region_code"]).rename(columns={"region_code": "gss_code"})
    nations = funding_per_head(in_year, ["nation_code"]).rename(columns={"nation_code": "gss_code"})
    tiles = pd.concat([regions, nations[nations["gss_code"] != "E92000001"]], ignore_index=True)
    ranked = funding_per_head(in_year, ["district_code"]).sort_values("value", ascending=False)
    out = {"tiles": tiles, "districts": ranked}
    place = next((filters[k] for k in ("district", "region", "nation") if filters.get(k)), None)
    if place:
        bodies = naive.public_bodies()
        out["local_bodies"] = bodies[(bodies["gss_code"] == place) | (bodies["region_code"] == place)
                                     | (bodies["nation_code"] == place)]
    return out


def organisation_size(filters: dict) -> dict[str, pd.DataFrame]:
    """Awards and funding by the recipient's size band in the latest complete year chosen; award length,
    payment in advance and full cost recovery by size; the smaller-organisation figures."""
    year = latest_complete_year(filters)
    frame = filtered(filters)
    in_year = frame[frame["financial_year"] == year]
    bands = pd.read_csv(naive.REFERENCE / "size_bands.csv")[["code", "name", "sort_order"]]
    by_size = in_year.groupby("size_band").agg(awards=("grant_id", "count"), amount=("amount_gbp", "sum"),
                                               median_amount=("amount_gbp", "median"),
                                               median_months=("duration_months", "median"))
    sizes = bands.merge(by_size, left_on="code", right_index=True, how="left").fillna({"awards": 0, "amount": 0})
    sizes["share_awards"] = 100 * sizes["awards"] / sizes["awards"].sum()
    sizes["share_amount"] = 100 * sizes["amount"] / sizes["amount"].sum()
    out = {"funding_by_size": sizes.sort_values("sort_order")}
    for indicator_id in SIZE_INDICATORS:
        out[f"by_size:{indicator_id}"] = indicator(in_year, indicator_id, ["size_band"])
    out["smaller_organisations"] = pd.concat(
        [indicator(in_year, i, ["financial_year"]).assign(indicator_id=i)
         for i in ("funding_to_smaller_organisations", "awards_to_smaller_organisations")], ignore_index=True)
    out["paid_in_advance_by_smaller"] = indicator(in_year, "awards_paid_in_advance", ["smaller_organisation"])
    return out


VIEWS = {"overview": overview, "principles": principles, "public_bodies": public_bodies, "localities": localities,
         "organisation_size": organisation_size}


if __name__ == "__main__":
    import argparse
    import statistics
    import time

    parser = argparse.ArgumentParser(description="Time the naive dashboard's views on an inbox.")
    parser.add_argument("inbox", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    load(args.inbox)
    print(f"load: {time.perf_counter() - started:.1f} s, {len(awards()):,} awards, "
          f"{awards().memory_usage(deep=True).sum() / 2**20:.0f} MiB in the frame")
    for name, view in VIEWS.items():
        for label, filters in (("default", DEFAULT_FILTERS), ("filtered", FILTERED)):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                frames = view(filters)
                times.append(time.perf_counter() - started)
            print(f"{name:18} {label:8} median {1000 * statistics.median(times):7.1f} ms  "
                  f"({len(frames)} frames, {sum(len(f) for f in frames.values())} rows)")
