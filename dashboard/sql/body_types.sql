-- The types of public body, in display order.
select code, name, plural from reference.body_types order by sort_order
