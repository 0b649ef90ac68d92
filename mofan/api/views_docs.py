"""The API's docs page: the generated OpenAPI document read on the server and shown as a plain
page (no script, nothing fetched: the strict CSP and the closed network both hold)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mofan.api.api import api

METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(ref: dict[str, Any]) -> str:
    return str(ref.get("$ref", "")).rsplit("/", 1)[-1]


def _type_of(schema: dict[str, Any]) -> str:
    """A parameter's type as read: `integer`, or `integer | null` spelled as its kinds."""
    if "type" in schema:
        return str(schema["type"])
    kinds = [str(s.get("type", "")) for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return " / ".join(k for k in kinds if k)


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body: dict[str, Any] = op.get("requestBody", {}).get("content", {})
            first: dict[str, Any] = next(iter(body.values()), {})
            body_schema = first.get("schema")
            if body_schema and "$ref" in body_schema:
                body_schema = components.get(_schema_name(body_schema), body_schema)
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or [""])[0],
                    "parameters": [
                        {
                            "name": p.get("name"),
                            "where": p.get("in"),
                            "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {})),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": json.dumps(body_schema, ensure_ascii=False, indent=2)
                    if body_schema
                    else "",
                    "statuses": sorted(op.get("responses", {})),
                }
            )
    return operations


def docs(request: HttpRequest) -> HttpResponse:
    schema: dict[str, Any] = dict(api.get_openapi_schema())
    base = request.build_absolute_uri("/api/v1")
    return render(
        request,
        "api/docs.html",
        {"info": schema.get("info", {}), "operations": _operations(schema), "base": base},
    )
