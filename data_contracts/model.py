"""YAML contract -> plain, frozen Python objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent

CONTRACT_IDS = tuple(sorted(p.stem for p in HERE.glob("*.yaml")))  # every contract: a YAML file here, named by its id

LOGICAL_TYPES = ("string", "number", "integer", "boolean", "date", "timestamp")


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    logical_type: str
    required: bool = False
    unique: bool = False
    description: str = ""
    json_path: str | None = None
    enum: tuple | None = None
    minimum: object = None
    maximum: object = None
    pattern: str | None = None
    classification: str = "public"
    examples: tuple = ()

    @property
    def confidential(self) -> bool:
        return self.classification == "confidential"


@dataclass(frozen=True)
class Dataset:
    name: str
    physical_name: str
    description: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)


@dataclass(frozen=True)
class Contract:
    id: str
    name: str
    version: str
    purpose: str
    source: str
    licence: str
    datasets: tuple[Dataset, ...] = field(default_factory=tuple)

    def dataset(self, name: str) -> Dataset:
        return next(d for d in self.datasets if d.name == name)


def _field(raw: dict) -> Field:
    options = raw.get("logicalTypeOptions") or {}
    logical_type = raw["logicalType"]
    if logical_type not in LOGICAL_TYPES:
        raise ValueError(f"field {raw['name']}: logicalType {logical_type!r} is not one of {LOGICAL_TYPES}")
    return Field(
        name=raw["name"],
        title=str(raw.get("title", raw["name"])),
        logical_type=logical_type,
        required=bool(raw.get("required", False)),
        unique=bool(raw.get("unique", False)),
        description=str(raw.get("description", "")),
        json_path=raw.get("jsonPath"),
        enum=tuple(options["enum"]) if "enum" in options else None,
        minimum=options.get("minimum"),
        maximum=options.get("maximum"),
        pattern=options.get("pattern"),
        classification=raw.get("classification", "public"),
        examples=tuple(raw.get("examples", ())),
    )


@cache
def load_contract(contract_id: str) -> Contract:
    path = HERE / f"{contract_id}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    description = raw.get("description", {})
    return Contract(
        id=raw["id"],
        name=raw["name"],
        version=str(raw["version"]),
        purpose=description.get("purpose", ""),
        source=description.get("source", ""),
        licence=description.get("licence", ""),
        datasets=tuple(
            Dataset(
                name=d["name"],
                physical_name=d.get("physicalName", d["name"]),
                description=d.get("description", ""),
                fields=tuple(_field(p) for p in d["properties"]),
            )
            for d in raw["schema"]
        ),
    )
