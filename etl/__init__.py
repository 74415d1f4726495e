"""ETL for the Covenant dashboard: inbox files -> validated DuckDB warehouse."""
