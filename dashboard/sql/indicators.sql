-- The indicator declarations, in the framework's order.
select * from marts.indicators order by sort_order
