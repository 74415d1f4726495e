-- One public body's consultations, latest closing first.
select consultation_ref, title, opened_on, closed_on, weeks_open, meets_consultation_standard, shorter_period_reason,
       response_published_on
from marts.consultations where body_code = $body_code order by closed_on desc
