"""The OpenAPI 3.1 description of the read-only API, written by hand and served at /api/openapi.json.

A test validates it with openapi-spec-validator and checks that every route under /api/v1 is
described here, so the document and the app cannot drift apart unnoticed.
"""

from __future__ import annotations

from copy import deepcopy

from lms.models import StaffType

RATE_LIMIT = "120 per minute"
RECORDS_LIMIT_MAX = 500
RECORDS_LIMIT_DEFAULT = 100


def _param(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}

PARAMETERS = {
    "scope": _param("scope", "Which of your scopes to report on, by its index in `scopes` (0, the widest, by default). "
                    "A trust lead or the CEO has the whole trust; a headteacher their unit; a line manager their "
                    "direct reports.", {"type": "integer", "minimum": 0, "default": 0}),
    "unit": _param("unit", "Only people in this unit (its id). Only a trust-wide scope is narrowed to a unit: in "
                   "any other scope, and for a unit that does not exist, the answer is 400.",
                   {"type": "integer", "minimum": 0}),
    "staff_type": _param("staff_type", "Only people of this staff type.",
                         {"type": "string", "enum": [t.value for t in StaffType]}),
    "module": _param("module", "Only this module (its slug); 400 when there is no such module.",
                     {"type": "string", "maxLength": 80}),
    "from": _param("from", "Start of the date range (YYYY-MM-DD), as on the dashboard pages. The date range "
                   "applies to attempts; completion and records are a snapshot as of today and are not "
                   "narrowed by it.", {"type": "string", "format": "date"}),
    "to": _param("to", "End of the date range (YYYY-MM-DD), on or after `from`.", {"type": "string", "format": "date"}),
    "limit": _param("limit", f"Rows per page, 1 to {RECORDS_LIMIT_MAX}.",
                    {"type": "integer", "minimum": 1, "maximum": RECORDS_LIMIT_MAX, "default": RECORDS_LIMIT_DEFAULT}),
    "offset": _param("offset", "Rows to skip (use `next_offset` from the previous page).",
                     {"type": "integer", "minimum": 0, "default": 0}),
}

FILTERS = ["scope", "unit", "staff_type", "module", "from", "to"]

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in plain words."},
            "parameter": {"type": "string", "description": "The query parameter at fault (400 only)."},
            "message": {"type": "string"},
        },
    },
    "Scope": {
        "type": "object",
        "required": ["index", "label", "kind", "spans_units"],
        "properties": {
            "index": {"type": "integer", "minimum": 0},
            "label": {"type": "string"},
            "kind": {"type": "string", "enum": ["trust", "unit", "team"]},
            "spans_units": {"type": "boolean",
                            "description": "True when the scope covers several units: small groups are then withheld."},
        },
    },
    "Filters": {
        "type": "object",
        "description": "The filters applied, as query parameters (absent when not given).",
        "properties": {
            "unit": {"type": "string"},
            "staff_type": {"type": "string"},
            "module": {"type": "string"},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
        },
        "additionalProperties": False,
    },
    "CompletionRow": {
        "type": "object",
        "required": ["key", "label", "people", "required", "completed", "overdue", "due_soon", "expired",
                     "share", "suppressed", "note"],
        "properties": {
            "key": {"type": "string", "description": "Unit id, module slug or staff type."},
            "label": {"type": "string"},
            "people": {**_NULLABLE_INT, "description": "People with at least one required module in the group."},
            "required": {**_NULLABLE_INT, "description": "Required (person, module) pairs."},
            "completed": {**_NULLABLE_INT, "description": "Of those, holding a pass valid today on the current policy."},
            "overdue": {**_NULLABLE_INT},
            "due_soon": {**_NULLABLE_INT, "description": "Due soon and not yet completed."},
            "expired": {**_NULLABLE_INT},
            "share": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                      "description": "completed / required, rounded to 4 places; null when suppressed."},
            "suppressed": {"type": "boolean",
                           "description": "True when the group is too small to report in a scope spanning units: "
                                          "every number is then null."},
            "note": {"type": ["string", "null"], "examples": ["fewer than 5"]},
        },
    },
    "CompletionReport": {
        "type": "object",
        "required": ["scope", "scopes", "filters", "generated_at", "as_of", "rows"],
        "properties": {
            "scope": {"$ref": "#/components/schemas/Scope"},
            "scopes": {"type": "array", "items": {"$ref": "#/components/schemas/Scope"}},
            "filters": {"$ref": "#/components/schemas/Filters"},
            "generated_at": {"type": "string", "format": "date-time"},
            "as_of": {"type": "string", "format": "date", "description": "The day the states are worked out for."},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/CompletionRow"}},
        },
    },
    "RecordRow": {
        "type": "object",
        "required": ["person_id", "name", "unit", "staff_type", "module", "state", "last_score", "passed_at",
                     "valid_until", "due_on"],
        "properties": {
            "person_id": {"type": "integer"},
            "name": {"type": "string"},
            "unit": {"type": "string"},
            "staff_type": {"type": "string", "enum": [t.value for t in StaffType]},
            "module": {"type": "string", "description": "The module's current title."},
            "state": {"type": "string",
                      "enum": ["not_started", "in_progress", "due_soon", "overdue", "passed", "expired"]},
            "last_score": {"type": ["number", "null"], "minimum": 0, "maximum": 100,
                           "description": "Percentage score of the last finished attempt."},
            "passed_at": {"type": ["string", "null"], "format": "date"},
            "valid_until": {"type": ["string", "null"], "format": "date"},
            "due_on": {"type": ["string", "null"], "format": "date"},
        },
    },
    "RecordsReport": {
        "type": "object",
        "required": ["scope", "scopes", "filters", "generated_at", "as_of", "limit", "offset", "next_offset", "rows"],
        "properties": {
            "scope": {"$ref": "#/components/schemas/Scope"},
            "scopes": {"type": "array", "items": {"$ref": "#/components/schemas/Scope"}},
            "filters": {"$ref": "#/components/schemas/Filters"},
            "generated_at": {"type": "string", "format": "date-time"},
            "as_of": {"type": "string", "format": "date"},
            "limit": {"type": "integer", "minimum": 1, "maximum": RECORDS_LIMIT_MAX},
            "offset": {"type": "integer", "minimum": 0},
            "next_offset": {"type": ["integer", "null"], "description": "The offset of the next page; null on the last."},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/RecordRow"}},
        },
    },
}


def _error(description: str, authenticate: bool = False) -> dict:
    response: dict = {"description": description,
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if authenticate:
        response["headers"] = {"WWW-Authenticate": {"description": "Bearer (RFC 6750)", "schema": {"type": "string"}}}
    return response


RESPONSES = {
    "BadRequest": _error("A query parameter is malformed or out of range; `parameter` names it."),
    "Unauthorized": _error("No token, a malformed or unknown token, a revoked token, or its owner has left.",
                           authenticate=True),
    "Forbidden": _error("The token is valid but its owner may see no dashboard."),
    "TooManyRequests": _error(f"More than {RATE_LIMIT} with one token."),
}

_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}


def _completion(by: str, operation_id: str) -> dict:
    return {"get": {
        "operationId": operation_id,
        "summary": f"Completion by {by}",
        "description": f"Required training per {by} in the chosen scope: people, required modules, how many are "
                       "completed (a pass valid today), overdue, due soon and expired. In a scope spanning units a "
                       "group of fewer than the privacy threshold (5 by default) is withheld.",
        "tags": ["completion"],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in FILTERS],
        "responses": {"200": {"description": f"One row per {by}, in label order.",
                              "content": {"application/json": {
                                  "schema": {"$ref": "#/components/schemas/CompletionReport"}}}},
                      **_ERRORS},
    }}


PATHS = {
    "/api/v1/completion/units": _completion("unit", "completionByUnit"),
    "/api/v1/completion/modules": _completion("module", "completionByModule"),
    "/api/v1/completion/staff-types": _completion("staff type", "completionByStaffType"),
    "/api/v1/team/records": {"get": {
        "operationId": "teamRecords",
        "summary": "Each person's required modules",
        "description": "One row per person and required module in the chosen scope (a line manager's direct "
                       "reports, a headteacher's unit, or the trust): state, last score and dates. Paginated; "
                       "ordered by unit, surname, first name and module.",
        "tags": ["records"],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in [*FILTERS, "limit", "offset"]],
        "responses": {"200": {"description": "A page of records.",
                              "content": {"application/json": {
                                  "schema": {"$ref": "#/components/schemas/RecordsReport"}}}},
                      **_ERRORS},
    }},
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Social media policy training: reporting API",
        "version": "1.0.0",
        "summary": "Read-only completion figures and team records, with the same scope rules as the dashboards.",
        "description": "Authenticate with a personal API token (made and revoked at /account/tokens) sent as "
                       "`Authorization: Bearer smp_...`. Tokens are for trust leads, headteachers and line managers; "
                       f"each token may make {RATE_LIMIT}. Every endpoint is GET only.",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}],
    "tags": [{"name": "completion", "description": "Aggregates of required training."},
             {"name": "records", "description": "Individual records."}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "smp_ personal token",
                                           "description": "A personal API token from /account/tokens."}},
        "parameters": PARAMETERS,
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}


def document() -> dict:
    """A copy, so that no caller can change the served document."""
    return deepcopy(DOCUMENT)
