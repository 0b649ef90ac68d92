"""Exporters and documents by identifier. `register` is a class decorator; `autodiscover`
imports the modules that define them: every app's `exporters.py` (from ReportsConfig.ready)."""

from __future__ import annotations

from importlib import import_module
from typing import TypeVar

from django.utils.module_loading import autodiscover_modules

from mofan.core.exports.base import Export

E = TypeVar("E", bound=type[Export])

_REGISTRY: dict[str, type[Export]] = {}


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


def autodiscover(*modules: str) -> None:
    """Import every installed app's `exporters` module (each registers its classes on import),
    then `modules` (reports' documents and package). Called from ReportsConfig.ready."""
    autodiscover_modules("exporters")
    for name in modules:
        import_module(name)
