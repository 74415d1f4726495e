-- One public body's action plan commitments as at its latest return, with their status.
select principle, commitment_ref, commitment, status, cast(due_date as date) as due_date, period
from marts.commitments
where body_code = $body_code
qualify period = max(period) over ()
order by principle, commitment_ref
