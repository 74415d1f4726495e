"""Data contracts (Open Data Contract Standard shape), one YAML file per source: the single source of truth
for each source's fields, from which checks, the data dictionary and the return template are generated."""

from data_contracts.model import CONTRACT_IDS, Contract, Dataset, Field, load_contract

__all__ = ["CONTRACT_IDS", "Contract", "Dataset", "Field", "load_contract"]
