-- Every cell of every breakdown (warehouse/breakdowns.py): its code, name, the code of the cell it sits in, its order.
select breakdown, code, name, parent, sort_order from marts.breakdown_names order by breakdown, sort_order, code
