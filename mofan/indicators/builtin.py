"""The five built-in templates (one per source plan), shipped as YAML in `builtin/`."""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources

from mofan.indicators.fileformat import Document, parse_yaml
from mofan.indicators.models import IndicatorSystem

SLUGS = ("xinzhou-2022", "jiaozuo-2020", "bureau-2022", "yueqing-2020", "yueyang-2020")


def builtin_text(slug: str) -> str:
    return (
        resources.files("mofan.indicators")
        .joinpath(f"builtin/{slug}.yaml")
        .read_text(encoding="utf-8")
    )


@cache
def _parsed(slug: str) -> Document:
    return parse_yaml(builtin_text(slug))


def builtin_document(slug: str) -> Document:
    """The template as a document; the shipped files never change while the process runs, so
    they are parsed and checked once and each caller gets its own copy."""
    return copy.deepcopy(_parsed(slug))


def load_templates() -> list[tuple[str, bool]]:
    """Load every built-in template that is not loaded yet; returns (slug, created)."""
    from mofan.indicators.services import system_import

    done = []
    for slug in SLUGS:
        if IndicatorSystem.objects.filter(committee__isnull=True, slug=slug).exists():
            done.append((slug, False))
            continue
        system_import(doc=builtin_document(slug), committee=None, actor=None, publish=True)
        done.append((slug, True))
    return done
