"""Where a request may send the browser next: the one check for every `next`, return or
referer URL taken from a request.

Only a same-site absolute path qualifies: it starts with a single "/" (not "//" or "/\\",
which browsers read as another host), holds no whitespace, control character or backslash
(browsers drop or rewrite those, and a newline would not even fit in the Location header), and
passes Django's `url_has_allowed_host_and_scheme`. Anything else — "NaN" (which `redirect()`
would try to reverse as a view name), "//evil.example", "javascript:...", "https://..." — gives
the caller's default. Callers pass the result to `redirect()`/`HttpResponseRedirect`, never the
raw value.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def is_site_path(url: object) -> bool:
    """True for a path on this site ("/rectification/items/3/?page=2"), never for anything a
    browser could take to another host or that `redirect()` could take for a view name."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 33 or ord(ch) == 127 or ch == "\\" for ch in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)


def safe_next(request: HttpRequest, value: object, default: str = "/") -> str:
    """`value` when it is a same-site path (see `is_site_path`, and allowed for this request's
    host and scheme), else `default`."""
    if is_site_path(value) and url_has_allowed_host_and_scheme(
        str(value), allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(value)
    return default
