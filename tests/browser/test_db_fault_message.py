"""In a real browser: a 503 answered to an htmx save after a lost database connection
(core/dbfaults.py) shows its Chinese message before the form, and the typed values stay.

The server side (a real lost connection answered 503 with HX-Retarget/HX-Reswap) is proven in
tests/core/test_dbfaults.py; here the browser gets exactly what `dbfaults.unavailable` answers,
through Playwright's routing, with the platform's own htmx and app.js and its CSP, so that
what is checked is the front end: htmx swaps that 503 (it does not swap error answers by
default) where the headers say, and a second failure replaces the first message."""

from __future__ import annotations

from pathlib import Path

from django.test import RequestFactory

from mofan.core import dbfaults
from mofan.core.middleware import CSP

STATIC = Path(__file__).resolve().parents[2] / "mofan" / "static"
PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>
<script src="/static/vendor/htmx/htmx.min.js" defer></script>
<script src="/static/js/app.js" defer></script></head><body>
<div id="leaf">
<form method="post" action="/save" hx-post="/save" hx-target="#leaf" hx-swap="outerHTML">
<input name="narrative" id="narrative"><button type="submit">保存</button></form></div>
</body></html>"""


def _unavailable() -> tuple[int, dict[str, str], str]:
    request = RequestFactory().post("/save", headers={"HX-Request": "true"})
    response = dbfaults.unavailable(request)
    headers = {k: v for k, v in response.items()}
    return response.status_code, headers, response.content.decode()


def test_the_503_message_goes_before_the_form_and_the_typed_text_stays(
    new_page, settings, transactional_db
):
    settings.MOFAN_DB_RETRY_AFTER_SECONDS = 5
    status, headers, body = _unavailable()
    assert status == 503 and headers["HX-Retarget"] == "this"
    page = new_page()

    def serve(route):  # type: ignore[no-untyped-def]
        path = route.request.url.split("http://fault.test", 1)[1]
        if path == "/":
            route.fulfill(
                status=200,
                body=PAGE,
                headers={
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy": CSP,
                },
            )
        elif path.startswith("/static/"):
            route.fulfill(
                status=200,
                body=(STATIC / path.removeprefix("/static/")).read_bytes(),
                headers={"Content-Type": "text/javascript"},
            )
        else:
            route.fulfill(status=status, body=body, headers=headers)

    page.route("http://fault.test/**", serve)
    page.goto("http://fault.test/")
    page.wait_for_function("window.htmx !== undefined")
    page.fill("#narrative", "整改措施已落实")
    page.click("button")
    message = page.locator(".fault-message")
    message.wait_for()
    assert "本次提交没有保存" in message.inner_text()
    assert page.input_value("#narrative") == "整改措施已落实"
    # the message sits right before the form, inside the target, which was not replaced
    assert (
        page.evaluate("document.querySelector('.fault-message').nextElementSibling.tagName")
        == "FORM"
    )
    page.click("button")
    page.wait_for_timeout(300)
    assert page.locator(".fault-message").count() == 1
    assert page.input_value("#narrative") == "整改措施已落实"
