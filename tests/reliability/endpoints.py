"""Discovering every endpoint: Django URL patterns and the API's OpenAPI operations.

Pure inspection (no database): the matrix and the CSRF walk use it, so an endpoint added
anywhere is picked up without touching these tests.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Page:
    name: str | None  # namespaced, e.g. "core:home"
    path: str  # "/admin/{url}" style
    params: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # "/api/v1/intake/cases/{case_id}"
    params: tuple[str, ...]  # path parameters
    query: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    body_schema: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    public: bool = False  # no security requirement in the schema

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _piece(pattern: Any) -> str:
    if isinstance(pattern, RoutePattern):
        return _CONVERTER.sub(r"{\1}", str(pattern))
    if isinstance(pattern, RegexPattern):
        text = _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern.regex.pattern)
        return text.lstrip("^").replace(r"\Z", "").rstrip("$").replace("\\", "")
    return str(pattern)


def django_patterns() -> list[Page]:
    out: list[Page] = []

    def walk(resolver: URLResolver, prefix: str, ns: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + _piece(p.pattern), f"{ns}{p.namespace}:" if p.namespace else ns)
            elif isinstance(p, URLPattern):
                path = "/" + prefix + _piece(p.pattern)
                params = tuple(re.findall(r"{(\w+)}", path))
                out.append(Page(name=(ns + p.name) if p.name else None, path=path, params=params))

    walk(get_resolver(), "", "")
    return out


def openapi_schema() -> dict[str, Any]:
    from garita.config.api import api

    return api.get_openapi_schema()


def api_operations(schema: dict[str, Any] | None = None) -> list[Operation]:
    schema = schema or openapi_schema()
    ops: list[Operation] = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            body = None
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                body = content["application/json"].get("schema")
            ops.append(Operation(
                method=method.upper(), path=path,
                params=tuple(p["name"] for p in params if p.get("in") == "path"),
                query={p["name"]: p.get("schema", {}) for p in params
                       if p.get("in") == "query" and p.get("required")},
                body_schema=body,
                public=not op.get("security"),
            ))
    return ops


def pages_outside_api(schema: dict[str, Any] | None = None) -> list[Page]:
    """Django patterns that are not API operations (those are checked per method)."""
    api_paths = {p.rstrip("/") for p in (schema or openapi_schema()).get("paths", {})}
    return [p for p in django_patterns() if p.path.rstrip("/") not in api_paths]


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def minimal_example(schema: dict[str, Any] | None, components: dict[str, Any],
                    depth: int = 0) -> Any:
    """A small value valid for `schema` (required fields only), for probing access."""
    if schema is None or depth > 8:
        return None
    schema = _resolve(schema, components)
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, components).get("type") != "null"]
            return minimal_example((options or schema[key])[0], components, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = minimal_example(part, components, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: minimal_example(props.get(k, {}), components, depth + 1)
                for k in schema.get("required", [])}
    if kind == "array":
        n = schema.get("minItems", 0)
        return [minimal_example(schema.get("items", {}), components, depth + 1)] * n
    if kind == "string":
        fmt = schema.get("format", "")
        if fmt == "date":
            return dt.date.today().isoformat()
        if fmt == "date-time":
            return dt.datetime.now(dt.UTC).isoformat()
        if fmt == "email":
            return "probe@example.org"
        if fmt == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return None
