"""Exporters and documents by identifier. `register` is a class decorator; `autodiscover`
imports the modules that define them (called from AppConfig.ready)."""

from __future__ import annotations

from importlib import import_module
from typing import TypeVar

from mofan.reports.base import Export

E = TypeVar("E", bound=type[Export])

_REGISTRY: dict[str, type[Export]] = {}

# Modules holding exporters and documents; each registers its classes on import.
MODULES = ("mofan.reports.exporters", "mofan.reports.documents", "mofan.reports.package")


def register(cls: E) -> E:
    identifier = cls.identifier
    if identifier in _REGISTRY and _REGISTRY[identifier] is not cls:
        raise ValueError(f"export identifier {identifier!r} registered twice")
    _REGISTRY[identifier] = cls
    return cls


def get(identifier: str) -> type[Export]:
    try:
        return _REGISTRY[identifier]
    except KeyError:
        raise LookupError(identifier) from None


def all_exports() -> list[type[Export]]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def autodiscover() -> None:
    for name in MODULES:
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
