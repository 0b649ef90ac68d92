"""The navigation each role sees: the menu entries the apps registered (`extensions.py` of each
app, `core.extensions.menu`), in order, those whose predicate holds for the actor. Pages check
permissions themselves; this only shows links."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from mofan.accounts.access import Actor
from mofan.core.extensions import menu


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


@lru_cache(maxsize=4096)
def _url(url_name: str, args: tuple, prefix: str, urlconf: str) -> str:
    """The menu's links are the same few URLs on every page: reversed once per process (per
    arguments, script prefix and URLconf), not on every request (about a tenth of the time of a
    simple page went there)."""
    return reverse(url_name, args=list(args) or None, urlconf=urlconf)


def items_for(actor: Actor) -> list[NavItem]:
    prefix, urlconf = get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    return [
        NavItem(
            str(entry.label),
            _url(entry.url_name, tuple(entry.args(actor)) if entry.args else (), prefix, urlconf),
        )
        for entry in sorted(menu, key=lambda entry: entry.order)
        if entry.shows(actor)
    ]
