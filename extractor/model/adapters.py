"""Structured-output adapters: how a response model's JSON schema travels to each kind of server.

instructor builds the request from the pydantic model in one of two modes (JSON schema or tools); an
adapter picks the mode and rewrites the request's response_format for the server kind: a llama.cpp
server takes the schema as a grammar on json_object, a hosted API strict json_schema, tools as is.
"""

from __future__ import annotations

from dataclasses import dataclass

import instructor
from nianbao.model.settings import Settings


@dataclass(frozen=True)
class Adapter:
    """The one interface: an instructor mode, and the request rewritten for the server."""

    mode: instructor.Mode

    def request(self, kwargs: dict) -> dict:
        return kwargs


class Tools(Adapter):
    """Hosted APIs asked for tool calls: the request goes as instructor built it."""


class LlamaGrammar(Adapter):
    """llama.cpp servers reject json_schema; they take the schema as a grammar on json_object."""

    def request(self, kwargs: dict) -> dict:
        if kwargs.get("response_format", {}).get("type") != "json_schema":
            return kwargs
        schema = kwargs["response_format"]["json_schema"]["schema"]
        return {**kwargs, "response_format": {"type": "json_object", "schema": schema}}


class StrictJsonSchema(Adapter):
    """Hosted APIs: strict structured output, every object closed."""

    def request(self, kwargs: dict) -> dict:
        if kwargs.get("response_format", {}).get("type") != "json_schema":
            return kwargs
        json_schema = kwargs["response_format"]["json_schema"]
        strict = {**json_schema, "schema": _closed(json_schema["schema"]), "strict": True}
        return {**kwargs, "response_format": {"type": "json_schema", "json_schema": strict}}


def adapter_for(settings: Settings) -> Adapter:
    if settings.server == "llama":
        return LlamaGrammar(instructor.Mode.JSON_SCHEMA)
    if settings.structured == "tools":
        return Tools(instructor.Mode.TOOLS)
    return StrictJsonSchema(instructor.Mode.JSON_SCHEMA)


def _closed(schema):
    """The schema with every object closed (additionalProperties: false), as strict structured output requires."""
    if isinstance(schema, dict):
        closed = {k: _closed(v) for k, v in schema.items()}
        if closed.get("type") == "object":
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema
