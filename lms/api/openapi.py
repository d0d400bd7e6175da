"""The OpenAPI 3.1 description of the read-only API, written by hand and served at /api/openapi.json.

A test validates it with openapi-spec-validator and checks that every route under /api/v1 is
described here, and schemathesis (tests/api/test_schemathesis.py, every check) holds the app to
it over HTTP: each parameter's schema is exactly what `params.py` accepts (a value outside it is a
400), and every status an operation can answer is listed with its body. The known modules are
an enum, so the document is built per request (`document(modules)`).
"""

from __future__ import annotations

from copy import deepcopy

from lms.api.params import (
    BIG,
    DATE_FIRST,
    DATE_LAST,
    DATE_PATTERN,
    RECORDS_LIMIT_DEFAULT,
    RECORDS_LIMIT_MAX,
    SCOPE_MAX,
)
from lms.models import StaffType

RATE_LIMIT = "120 per minute"
_DATE = {"type": "string", "format": "date", "pattern": DATE_PATTERN,
         "description": f"YYYY-MM-DD, from {DATE_FIRST.isoformat()} to {DATE_LAST.isoformat()}."}


def _param(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}

PARAMETERS = {
    "scope": _param("scope", "Which of your scopes to report on, by its index in `scopes` (0, the widest, by default). "
                    "A trust lead or the CEO has the whole trust; a headteacher their unit; a line manager their "
                    "direct reports. An index beyond your own scopes is a 422.",
                    {"type": "integer", "minimum": 0, "maximum": SCOPE_MAX, "default": 0}),
    "unit": _param("unit", "Only people in this unit (its id). Only a trust-wide scope is narrowed to a unit: in "
                   "any other scope, and for a unit that does not exist, the answer is 422.",
                   {"type": "integer", "minimum": 1, "maximum": BIG}),
    "staff_type": _param("staff_type", "Only people of this staff type.",
                         {"type": "string", "enum": [t.value for t in StaffType]}),
    "module": _param("module", "Only this module (its slug).", {"type": "string"}),  # enum: document(modules)
    "from": _param("from", "Start of the date range, as on the dashboard pages. The date range applies to "
                   "attempts; completion and records are a snapshot as of today and are not narrowed by it.",
                   _DATE),
    "to": _param("to", "End of the date range, on or after `from` (422 otherwise).", _DATE),
    "limit": _param("limit", f"Rows per page, 1 to {RECORDS_LIMIT_MAX}.",
                    {"type": "integer", "minimum": 1, "maximum": RECORDS_LIMIT_MAX, "default": RECORDS_LIMIT_DEFAULT}),
    "offset": _param("offset", "Rows to skip (use `next_offset` from the previous page).",
                     {"type": "integer", "minimum": 0, "maximum": BIG, "default": 0}),
}

FILTERS = ["scope", "unit", "staff_type", "module", "from", "to"]

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in plain words."},
            "parameter": {"type": "string", "description": "The query parameter at fault (400 and 422 only)."},
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
    "BadRequest": _error("A query parameter's value is not one this document allows: not a whole number or out "
                         "of its bounds, not a date as YYYY-MM-DD in the range, not a known staff type or module, "
                         "or empty. `parameter` names it."),
    "Unauthorized": _error("No token, a malformed or unknown token, a revoked token, an expired token (the "
                           "message says so: make a new one at /account/tokens), or its owner has left.",
                           authenticate=True),
    "Forbidden": _error("The token is valid but its owner may see no dashboard."),
    "Unprocessable": _error("Every value is allowed, but they cannot be answered together or for this token's "
                            "owner: `from` after `to`, a scope index beyond your scopes, a unit that does not "
                            "exist, or a unit filter in a scope that is not trust-wide. `parameter` names it."),
    "TooManyRequests": _error(f"More than {RATE_LIMIT} with one token."),
    "ServerError": _error("Something went wrong on the server; nothing was changed. Try again later."),
}

_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "422": {"$ref": "#/components/responses/Unprocessable"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
    "500": {"$ref": "#/components/responses/ServerError"},
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
        "version": "1.1.0",
        "summary": "Read-only completion figures and team records, with the same scope rules as the dashboards.",
        "description": "Authenticate with a personal API token (made and revoked at /account/tokens) sent as "
                       "`Authorization: Bearer smp_...`. Tokens are for trust leads, headteachers and line managers; "
                       "each lasts 1 to 12 months (chosen when it is made) and is revoked when its owner leaves; "
                       f"each token may make {RATE_LIMIT}. Every endpoint is GET only. A parameter's value outside "
                       "what this document allows is a 400; allowed values that cannot be answered are a 422.",
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


def document(modules: list[str] | None = None) -> dict:
    """A copy (no caller can change the served document), `module` limited to the known modules' slugs.

    With no modules known yet, no value of `module` is allowed (the API answers 400 to any).
    """
    doc = deepcopy(DOCUMENT)
    schema = doc["components"]["parameters"]["module"]["schema"]
    if modules:
        schema["enum"] = list(modules)
    else:
        schema["not"] = {}  # nothing matches: there is no module to filter by
    return doc
