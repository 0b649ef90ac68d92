"""The API docs offline (issue 19 point 6): /api/v1/docs/ loads only vendored assets under
/static/ (Swagger UI from swagger-ui-dist, with its licence), no inline script or style, under the
strict CSP; the server-rendered listing stays as the page without JavaScript; the generated
OpenAPI document carries a Chinese summary and description for every operation and an example
for every body it takes or returns. The Chromium side is tests/browser/test_api_docs.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from mofan.api import schemas
from mofan.api.api import api

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
METHODS = ("get", "post", "put", "patch", "delete")


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.links: list[str] = []
        self.styled: list[str] = []
        self.style_elements = 0
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True
        if tag == "link" and found.get("rel") == "stylesheet":
            self.links.append(found.get("href") or "")
        if tag == "style":
            self.style_elements += 1
        if "style" in found:
            self.styled.append(tag)
        self.handlers += [name for name, _v in attrs if name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, item[method])
        for path, item in doc["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_the_docs_page_loads_only_local_assets_and_no_inline_script(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    parsed = _Assets()
    parsed.feed(page.content.decode())
    sources = [s.get("src") or "" for s in parsed.scripts]
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert "/static/js/api-docs.js" in sources
    assert "/static/vendor/swagger-ui/swagger-ui.css" in parsed.links
    assert all(src.startswith("/static/") for src in sources + parsed.links), sources
    assert not parsed.inline_script and not parsed.handlers
    assert not parsed.styled and not parsed.style_elements
    body = page.content.decode()
    assert 'data-schema-url="/api/v1/openapi.json"' in body
    assert "API 令牌" in body and "Try it out" in body  # the Chinese introduction


def test_the_listing_stays_for_a_browser_without_javascript(client):
    body = client.get("/api/v1/docs/").content.decode()
    listing = body.split('id="api-docs-listing"', 1)[1]
    for method, path, op in _operations(api.get_openapi_schema()):
        assert f"{method} {path}" in listing
        assert op["summary"] in listing


def test_swagger_ui_is_vendored_with_its_licence_and_pinned():
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
        found = finders.find(f"vendor/swagger-ui/{name}")
        assert found, name
        assert Path(str(found)).stat().st_size > 1000
    versions = json.loads(Path(str(finders.find("vendor/versions.json"))).read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", versions["swagger-ui-dist"])
    # Swagger UI would otherwise call validator.swagger.io from every reader's browser.
    start = Path(str(finders.find("js/api-docs.js"))).read_text()
    assert "validatorUrl: null" in start


def test_every_operation_has_a_chinese_summary_and_description():
    missing = [
        f"{method} {path}"
        for method, path, op in _operations(api.get_openapi_schema())
        if not (CJK.search(op.get("summary", "")) and CJK.search(op.get("description", "")))
    ]
    assert not missing, missing


def _component(doc: dict[str, Any], schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The named component behind a body schema: a $ref, a list of one, or a page of them."""
    components = doc["components"]["schemas"]
    if "items" in schema:
        return _component(doc, schema["items"])
    name = schema["$ref"].rsplit("/", 1)[-1]
    found = components[name]
    if name.startswith("Paged"):
        return _component(doc, found["properties"]["items"])
    return name, found


def test_every_body_taken_or_returned_has_an_example_with_all_its_fields():
    doc = api.get_openapi_schema()
    checked: set[str] = set()
    for method, path, op in _operations(doc):
        bodies = [c["schema"] for c in op.get("requestBody", {}).get("content", {}).values()]
        for status, response in op["responses"].items():
            if str(status).startswith("2"):
                bodies += [c["schema"] for c in response.get("content", {}).values()]
        assert bodies, f"{method} {path}"
        for body in bodies:
            if "$ref" not in body and "items" not in body:
                # a multipart upload: its fields are described one by one
                assert all(
                    p.get("description") or p.get("format") == "binary"
                    for p in body.get("properties", {}).values()
                ), (method, path, body)
                continue
            name, component = _component(doc, body)
            examples = component.get("examples")
            assert examples, f"{method} {path}: {name} has no example"
            assert set(examples[0]) == set(component["properties"]), name
            checked.add(name)
    assert {"SelfScoreIn", "ActivityRecordIn", "RosterIn", "UnitOut", "ResultRow"} <= checked


@pytest.mark.parametrize(
    "model",
    [
        schemas.SelfScoreIn,
        schemas.TransitionIn,
        schemas.ActivityRecordIn,
        schemas.RosterIn,
        schemas.UnitsIn,
        schemas.PartyOrgsIn,
    ],
)
def test_the_input_examples_are_accepted_by_their_schema(model):
    example = model.model_json_schema()["examples"][0]
    model.model_validate(example)
