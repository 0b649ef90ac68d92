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


def get(identifier: str, *, scope: str = "campaign") -> type[Export]:
    """The export of that identifier built for `scope` (LookupError for any other)."""
    cls = _REGISTRY.get(identifier)
    if cls is None or cls.scope != scope:
        raise LookupError(identifier)
    return cls


def all_exports(scope: str = "campaign") -> list[type[Export]]:
    """The registered exports built for `scope`: a campaign's (its export page, `manage.py
    export`) by default, or a programme's documents."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY) if _REGISTRY[k].scope == scope]


def autodiscover(*modules: str) -> None:
    """Import every installed app's `exporters` module (each registers its classes on import),
    then `modules` (reports' documents and package). Called from ReportsConfig.ready."""
    autodiscover_modules("exporters")
    for name in modules:
        import_module(name)
