-- Add the issue records now in `indicator_records` to `issue_flags`: whether each is in the numerator, in the
-- denominator, lacking a field, and has a measure. Parameter: $indicator.
insert into issue_flags by name
select
    *,
    $indicator as indicator_id,
    concat(coalesce(numerator, 0) > 0, coalesce(denominator, 0) > 0, coalesce(lacking, false), measure is not null) as flags
from indicator_records
where issue_ref is not null
