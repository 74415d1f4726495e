"""The sources: one declaration per inbox folder (`SOURCE` in each module of this package), found here. A file's
folder says what it is."""

from __future__ import annotations

import importlib
import pkgutil

from data_contracts import load_contract
from etl.sources.source import Context, Lookups, Source

__all__ = ["Context", "Lookups", "Source", "SOURCES", "LOOKUPS", "INBOX_FOLDERS", "CONTRACTS", "CONFIDENTIAL_FOLDERS",
           "CONFIDENTIAL_DATASETS", "source"]


def _declared() -> tuple[list[Source], list[Lookups]]:
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    return ([m.SOURCE for m in modules if isinstance(getattr(m, "SOURCE", None), Source)],
            [m.LOOKUPS for m in modules if isinstance(getattr(m, "LOOKUPS", None), Lookups)])


_sources, (LOOKUPS,) = _declared()
SOURCES: tuple[Source, ...] = tuple(sorted(_sources, key=lambda s: s.position))
INBOX_FOLDERS = tuple(s.folder for s in SOURCES) + (LOOKUPS.folder,)
CONTRACTS = tuple(s.contract for s in SOURCES) + (LOOKUPS.contract,)  # every data contract, in the sources' order
# row-level data kept out of the published warehouse: the confidential sources' folders and datasets
CONFIDENTIAL_FOLDERS = frozenset(s.folder for s in SOURCES if s.confidential)
CONFIDENTIAL_DATASETS = frozenset(d.name for s in SOURCES if s.confidential for d in load_contract(s.contract).datasets)


def source(folder: str) -> Source:
    return next(s for s in SOURCES if s.folder == folder)
