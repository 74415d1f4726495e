-- What changed since the release before (attached read-only as `previous`), written into the new public database
-- (attached as `public`) from the workspace: the files added, replaced or removed, and every published figure of
-- the funding and returns indicators whose value was revised, with what it was, what it is, and the files of its
-- sources that changed (why). Issue figures are not compared: the difference of two published counts could itself be
-- a count under 5. Parameters: $previous_release (its id).
create table public.meta.file_changes as
with now as (
    select path, source, sha256, rows_loaded from public.meta.load_files where sha256 is not null
),
before as (
    select path, source, sha256, rows_loaded from previous.meta.load_files where sha256 is not null
)
select
    coalesce(now.path, before.path) as path,
    coalesce(now.source, before.source) as source,
    case when before.path is null then 'added' when now.path is null then 'removed' else 'replaced' end as change,
    before.rows_loaded as rows_loaded_before,
    now.rows_loaded as rows_loaded_now
from now full join before on before.path = now.path
where before.path is null or now.path is null or before.sha256 <> now.sha256
order by source, path;

create table public.meta.revisions as
with why as (
    select source, count(*) as files,
           string_agg(path || ' (' || change || ')', '; ' order by path) filter (where rank <= 5) as named
    from (select *, row_number() over (partition by source order by path) as rank from public.meta.file_changes)
    group by source
)
select
    now.indicator_id,
    indicators.name as indicator_name,
    now.period,
    now.breakdown,
    now.breakdown_code,
    now.breakdown_name,
    now.unit,
    before.value as value_before,
    now.value as value_now,
    now.value - before.value as change,
    before.numerator as numerator_before,
    now.numerator as numerator_now,
    before.denominator as denominator_before,
    now.denominator as denominator_now,
    coalesce(
        (select string_agg(why.source || ': ' || why.named || case when why.files > 5 then ' and ' || (why.files - 5) || ' more' else '' end, '; ')
         from why where list_contains(indicators.sources, why.source)),
        'no file of its sources changed: a change in the reference data, a rule or a definition'
    ) as why
from marts.indicator_values as now
join marts.indicators as indicators using (indicator_id)
join previous.marts.indicator_values as before
    on before.indicator_id = now.indicator_id and before.period = now.period and before.breakdown = now.breakdown
   and before.breakdown_code is not distinct from now.breakdown_code
where not indicators.disclosure_controlled
  and before.value is distinct from now.value
  and not coalesce(abs(before.value - now.value) <= 1e-9 * greatest(abs(before.value), abs(now.value)), false)
order by indicators.sort_order, now.period_level, now.period, now.breakdown, now.breakdown_code;

create table public.meta.release_comparison as
with now as (
    select indicator_id, period, breakdown, breakdown_code from marts.indicator_values
    where indicator_id in (select indicator_id from marts.indicators where not disclosure_controlled) and value is not null
),
before as (
    select indicator_id, period, breakdown, breakdown_code from previous.marts.indicator_values
    where indicator_id in (select indicator_id from marts.indicators where not disclosure_controlled) and value is not null
)
select
    $previous_release as previous_release,
    (select count(*) from public.meta.file_changes) as files_changed,
    (select count(*) from public.meta.revisions) as figures_revised,
    (select count(*) from (select * from now except select * from before)) as figures_added,
    (select count(*) from (select * from before except select * from now)) as figures_removed;
