"""The machinery of the input fuzz (tests/core/test_fuzz_inputs.py): every URL pattern of the
resolver with its converters, the forms of a rendered page, hostile values, and a runner that
sends each request inside a savepoint that is rolled back (so a POST that succeeds changes
nothing for the next one) and collects every server error and every off-site redirect instead
of stopping at the first.

Deterministic: no randomness, the same requests in the same order on every run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

BIG = "99999999999999999999"  # 20 digits: beyond every 64-bit integer column
LONG = "长" * 10_000

# Values for a number, choice, hidden or checkbox field (ids travel in those), sampled per field
# (see `round_robin`), not as a full product.
HOSTILE_NUMBERS: tuple[str | list[str], ...] = (
    BIG,
    "²",  # a digit to str.isdigit(), not to int()
    "abc",
    ["1", BIG],  # a list of two values where one is expected
    "-1",
    "NaN",
    "1e999",
    "",
    "-99999999999999999999",
    "1.5",
    "２",  # a full-width digit (int() accepts it)
    "0",
    "a\x00b",
)
# Values for a text field.
HOSTILE_TEXT: tuple[str | list[str], ...] = (
    LONG,
    "",
    "a\x00b",  # NUL: PostgreSQL refuses it in text
    ["x", "y"],
    BIG,
    "'\"<script>",
)
# Values for a redirect target (`next`, ...): none of them may send the browser elsewhere.
HOSTILE_NEXT: tuple[str, ...] = (
    "NaN",
    "//evil.example",
    "javascript:alert(1)",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    " //evil.example",
    "home:home",
    "/\r\nSet-Cookie: evil=1",
    "",
)
TEXT_KINDS = frozenset({"text", "textarea", "password", "email", "search", "url", "tel"})
NEXT_NAMES = frozenset({"next", "return", "return_to", "back"})
# Query strings for the GET of every page (one per request, in turn; one of them also htmx).
HOSTILE_QUERIES: tuple[dict[str, str | list[str]], ...] = (
    {"next": "NaN", "page": "NaN", "sort": "-nonexistent", "q": "' OR 1=1 --"},
    {"next": "//evil.example", "page": BIG, "sort": "--pk", "q": "a\x00b"},
    {"next": "javascript:alert(1)", "page": "-1", "sort": ["name", BIG], "q": LONG},
    {"next": "https://evil.example/", "page": "1e999", "sort": "", "q": "%_\\"},
)
# Ids in the URL, each where the converter accepts it (`int` takes no sign).
HOSTILE_IDS: tuple[int, ...] = (0, -1, int(BIG))


# --- the resolver --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern with the names and converters of its keyword arguments."""

    route: str  # e.g. "reviews/assignments/<int:pk>/score/<int:node_pk>/"
    name: str  # "reviews:score_save"
    converters: Mapping[str, Any]
    view: str  # the view's dotted path

    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    def segment_before(self, kwarg: str) -> str:
        """The path segment in front of `<...:kwarg>` ("assignments" for `pk` above)."""
        parts = self.route.split("/")
        for i, part in enumerate(parts):
            if re.fullmatch(rf"<(?:\w+:)?{kwarg}>", part):
                return parts[i - 1] if i else ""
        raise KeyError(kwarg)

    def fill(self, values: Mapping[str, object]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            return str(self.converters[name].to_url(values[name]))

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", one, self.route)


def routes() -> list[Route]:
    """Every pattern of the project's URLconf, recursively, with its converters."""
    found: list[Route] = []

    def walk(patterns: Sequence[Any], prefix: str, ns: str, converters: dict[str, Any]) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner_ns = f"{ns}{p.namespace}:" if p.namespace else ns
                walk(
                    p.url_patterns,
                    prefix + str(p.pattern),
                    inner_ns,
                    {**converters, **p.pattern.converters},
                )
            elif isinstance(p, URLPattern):
                found.append(
                    Route(
                        route=prefix + str(p.pattern),
                        name=f"{ns}{p.name}",
                        converters={**converters, **p.pattern.converters},
                        view=p.lookup_str,
                    )
                )

    walk(get_resolver().url_patterns, "", "", {})
    return found


def converter_accepts(route: Route, kwarg: str, value: object) -> bool:
    converter = route.converters[kwarg]
    return re.fullmatch(converter.regex, str(value)) is not None


# --- forms on a page -----------------------------------------------------------------------------


@dataclass
class Form:
    method: str  # "get" or "post"
    action: str  # a path on this site
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> what the page sends
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type / select / ...

    def signature(self) -> tuple[str, str, tuple[str, ...]]:
        """The same form for another object (a row's form, another page's copy) is one form."""
        action = re.sub(r"/\d+(?=/|$)", "/<id>", self.action.split("?", 1)[0])
        return (self.method, action, tuple(sorted(self.fields)))


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict[str, str | None] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def _add(self, name: str, kind: str, value: str | None) -> None:
        assert self._form is not None
        self._form.kinds.setdefault(name, kind)
        values = self._form.fields.setdefault(name, [])
        if value is not None:
            values.append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            parts = urlsplit(action)
            if parts.netloc and parts.netloc != "testserver":
                self._form = None
                return
            self._form = Form(
                method=(a.get("method") or "get").lower(),
                action=parts.path + (f"?{parts.query}" if parts.query else ""),
            )
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                self._add(name, kind, (a.get("value") or "on") if "checked" in a else None)
            else:
                self._add(name, kind, a.get("value") or "")
        elif tag == "button" and name:
            self._add(name, "button", a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self._select_first = None
            self._select_chosen = False
            self._add(name, "select-multiple" if "multiple" in a else "select", None)
        elif tag == "option" and self._select:
            self._option = a
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None and self._select and self._form:
            value = self._option.get("value")
            if value is None:
                value = self._option_text.strip()
            if self._select_first is None:
                self._select_first = value
            if "selected" in self._option:
                self._form.fields[self._select].append(value)
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select and self._form:
            kind = self._form.kinds[self._select]
            if not self._select_chosen and kind == "select" and self._select_first is not None:
                self._form.fields[self._select].append(self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form:
            self._form.fields[self._textarea] = [self._text]
            self._textarea = None


def parse_page(page: str, html: str) -> tuple[list[Form], list[str]]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms, parser.links


def link_queries(links: Sequence[str], page: str) -> dict[str, set[str]]:
    """The query parameters the page's links send, by the path they go to (filters, sorts,
    `?ledger=3` on a "new" link): each becomes a GET form of those parameters."""
    found: dict[str, set[str]] = {}
    for href in links:
        parts = urlsplit(urljoin(page, href))
        if parts.query and (not parts.netloc or parts.netloc == "testserver"):
            keys = {k.split("=", 1)[0] for k in parts.query.split("&") if k}
            found.setdefault(parts.path, set()).update(keys)
    return found


# --- hostile data ---------------------------------------------------------------------------------


def hostile_values(name: str, kind: str) -> tuple[str | list[str], ...]:
    if name in NEXT_NAMES:
        return HOSTILE_NEXT
    if kind in TEXT_KINDS:
        return HOSTILE_TEXT
    return HOSTILE_NUMBERS


CSRF = "csrfmiddlewaretoken"  # not checked by the test client: nothing to fuzz


def targeted(form: Form) -> list[str]:
    """The fields worth fuzzing one at a time: where ids, choices, numbers and redirect targets
    travel (free text is covered by the rounds)."""
    return [
        name
        for name, kind in form.kinds.items()
        if name != CSRF
        and (name in NEXT_NAMES or kind not in TEXT_KINDS | {"file", "date", "datetime-local"})
    ]


def round_robin(form: Form, rounds: int) -> Iterator[dict[str, str | list[str]]]:
    """`rounds` payloads in which every field carries a hostile value of its kind, field i the
    value (i + round) of its list (one payload for a form of nothing but its CSRF token)."""
    if not set(form.kinds) - {CSRF}:
        rounds = min(rounds, 1)
    for k in range(rounds):
        data: dict[str, str | list[str]] = {}
        for i, (name, kind) in enumerate(form.kinds.items()):
            if kind == "file":
                continue
            values = hostile_values(name, kind)
            data[name] = values[(i + k) % len(values)]
        yield data


def one_at_a_time(
    form: Form, names: Sequence[str], per_field: int
) -> Iterator[dict[str, str | list[str]]]:
    """The page's own values with one field hostile at a time (a form otherwise valid reaches
    the code behind its validation): the first `per_field` values of the field's list (the
    20-digit id and "²"; `next=NaN` and "//evil.example"). The rounds cover the rest."""
    for name in names:
        for value in hostile_values(name, form.kinds.get(name, "text"))[:per_field]:
            data: dict[str, str | list[str]] = {
                k: list(v) for k, v in form.fields.items() if form.kinds.get(k) != "file"
            }
            data[name] = value
            yield data


def site_local(location: str) -> bool:
    """A redirect target that stays on this site."""
    location = location.strip()
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.scheme in ("http", "https") and parts.netloc == "testserver"
    path = parts.path
    return path.startswith("/") and not path.startswith(("//", "/\\"))


# --- the runner -----------------------------------------------------------------------------------


@dataclass
class Failure:
    persona: str
    method: str
    url: str
    params: str
    status: int | str
    error: str

    def line(self) -> str:
        return (
            f"{self.method} {self.url} as {self.persona}: {self.status} {self.error}"
            f"\n      params: {self.params}"
        )


def _short(data: Mapping[str, Any] | None) -> str:
    if not data:
        return "{}"
    out = {}
    for k, v in data.items():
        text = repr(v)
        out[k] = text if len(text) <= 40 else f"{text[:20]}…({len(text)} chars)"
    return ", ".join(f"{k}={v}" for k, v in out.items())


@dataclass
class Runner:
    """Sends requests as personas, each inside a savepoint rolled back afterwards, and keeps
    every server error and off-site redirect."""

    failures: list[Failure] = field(default_factory=list)
    requests: int = 0
    phase: str = ""  # what the requests are for, in the counts of the report
    by_phase: dict[str, int] = field(default_factory=dict)
    time_by_phase: dict[str, float] = field(default_factory=dict)
    reachers: dict[str, list[str]] = field(default_factory=dict)  # URL name -> personas
    forms: int = 0

    def send(
        self,
        persona: str,
        client: Client,
        method: str,
        url: str,
        data: Mapping[str, Any] | None = None,
        htmx: bool = False,
    ) -> HttpResponse | None:
        self.requests += 1
        self.by_phase[self.phase] = self.by_phase.get(self.phase, 0) + 1
        started = time.monotonic()
        try:
            return self._send(persona, client, method, url, data, htmx)
        finally:
            spent = time.monotonic() - started
            self.time_by_phase[self.phase] = self.time_by_phase.get(self.phase, 0) + spent

    def _send(
        self,
        persona: str,
        client: Client,
        method: str,
        url: str,
        data: Mapping[str, Any] | None = None,
        htmx: bool = False,
    ) -> HttpResponse | None:
        headers = {"HX-Request": "true"} if htmx else {}
        cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
        saved = cookie.value if cookie is not None else None
        response: HttpResponse | None = None
        try:
            with transaction.atomic():
                if method == "GET":
                    response = client.get(url, data or {}, headers=headers)
                else:
                    response = client.post(url, data or {}, headers=headers)
                transaction.set_rollback(True)
        except Exception as exc:  # the error page itself failed: still a server error
            self.failures.append(
                Failure(persona, method, url, _short(data), "raised", describe_error(exc))
            )
            response = None
        finally:
            # The database is back as it was; so must be the browser (a logout, a new session).
            if saved is not None:
                client.cookies[settings.SESSION_COOKIE_NAME] = saved
        if response is None:
            return None
        if response.status_code >= 500:
            exc_info = getattr(response, "exc_info", None)
            error = describe_error(exc_info[1]) if exc_info else "(no exception recorded)"
            self.failures.append(
                Failure(persona, method, url, _short(data), response.status_code, error)
            )
        for header in ("Location", "HX-Redirect"):
            target = response.headers.get(header)
            if target is not None and not site_local(target):
                self.failures.append(
                    Failure(
                        persona,
                        method,
                        url,
                        _short(data),
                        response.status_code,
                        f"redirect off the site: {header}: {target!r}",
                    )
                )
        return response

    def report(self) -> str:
        by_where: dict[tuple[str, str], list[Failure]] = {}
        for f in self.failures:
            path = urlsplit(f.url).path
            route = re.sub(r"/\d+(?=/|$)", "/<id>", path)
            by_where.setdefault((f.method, route), []).append(f)
        lines = [
            f"{len(self.failures)} failures at {len(by_where)} method+URL pattern(s) "
            f"in {self.requests} requests:"
        ]
        for (method, route), group in sorted(by_where.items()):
            kinds = sorted({g.error.split(":", 1)[0] for g in group})
            lines.append(f"- {method} {route} ({len(group)}×: {', '.join(kinds)})")
            for f in group[:3]:
                lines.append(f"    {f.line()}")
        phases = ", ".join(
            f"{phase} {n} ({self.time_by_phase.get(phase, 0):.1f} s)"
            for phase, n in self.by_phase.items()
        )
        lines.append(f"requests by phase: {phases}")
        return "\n".join(lines)


def describe_error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:160]}"


def with_query(url: str, query: Mapping[str, Any]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query, doseq=True)}"
