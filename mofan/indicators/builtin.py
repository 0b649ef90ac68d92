"""The five built-in templates (one per source plan), shipped as YAML in `builtin/`."""

from __future__ import annotations

import copy
import hashlib
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


def fingerprint(slug: str) -> str:
    """The version note that names the shipped file a built-in version was loaded from."""
    digest = hashlib.sha256(builtin_text(slug).encode("utf-8")).hexdigest()[:12]
    return f"内置模板（{digest}）"


CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def load_templates() -> list[tuple[str, str]]:
    """Load every built-in template; returns (slug, CREATED | UPDATED | UNCHANGED).

    A template not loaded yet is created and published. A template whose shipped file changed
    since its newest version was loaded (an upgrade of the platform corrected a seed, e.g. 焦作's
    leaf 3.5 moved out of the scored leaves) gets a new published version; the versions that
    campaigns already use stay as they are (published versions never change), and new
    campaigns pick the newest. Run by `make run` and after every upgrade (docs/deploy.md)."""
    from mofan.indicators.services import system_import

    done = []
    for slug in SLUGS:
        system = IndicatorSystem.objects.filter(committee__isnull=True, slug=slug).first()
        note = fingerprint(slug)
        if system is not None:
            newest = system.versions.order_by("-number").first()
            if newest is not None and newest.note == note:
                done.append((slug, UNCHANGED))
                continue
        system_import(
            doc=builtin_document(slug), committee=None, actor=None, publish=True, note=note
        )
        done.append((slug, CREATED if system is None else UPDATED))
    return done
