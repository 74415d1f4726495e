-- How each issue indicator counts each issue (see issue_classes.sql), filled indicator by indicator.
create or replace temp table issue_flags as
select *, '' as indicator_id, '' as flags from indicator_records where false
