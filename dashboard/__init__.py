"""The Streamlit dashboard: pages describe the UI and call the query layer (`queries.py`)."""
