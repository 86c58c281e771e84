"""Every error is a problem document (RFC 9457), served as ``application/problem+json``.

``type`` names the kind of problem by a URI reference under ``/problems/`` (the service
answers it with a page saying what the kind means), ``title`` is the kind's and the same every
time, ``status`` the HTTP status, ``detail`` the reason of this occurrence. Extension members
carry the rest: ``code``, the machine key (the rule's code for a refusal, else the kind);
``citation`` and ``field`` of a refusal; ``errors``, the fields of bad input;
``retry_after``. ``reason`` repeats ``detail`` for clients written before the standard shape.

Many call sites still build the service's earlier bodies (``{"error", "reason", ...}``), and
answers kept for an ``Idempotency-Key`` may be in it: :func:`document` turns either into the
problem document, so one place decides the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
BASE = "/problems/"
# The members RFC 9457 defines; an extension member never takes their names.
STANDARD = frozenset({"type", "title", "status", "detail", "instance"})


@dataclass(frozen=True)
class Kind:
    status: int
    title: str
    means: str
    members: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "invalid_request": Kind(
        422,
        "The request is not valid",
        "A field of the body, the query, the path or a header does not fit what the route "
        "takes. Correct the fields named and send it again.",
        (
            "errors: each field (body.opening_at, query.cursor, header.Idempotency-Key), the "
            "rule it breaks and why",
        ),
    ),
    "idempotency_key_reused": Kind(
        422,
        "The Idempotency-Key was sent with another request",
        "An Idempotency-Key names one request: the same key with another body, method or "
        "path is refused (draft-ietf-httpapi-idempotency-key-header). Use a new key for a "
        "new request.",
        ("field: header.Idempotency-Key", "errors: the same, as a field list"),
    ),
    "refused": Kind(
        409,
        "Refused under the rules",
        "The law, or the state the procurement is in, refuses the command. Nothing changed; "
        "the refusal is in the audit trail.",
        (
            "code: the rule that refused it (every code is listed in the OpenAPI document)",
            "citation: the statute, rule or service rule",
            "field: the field at fault, when there is one",
        ),
    ),
    "idempotency_key_in_flight": Kind(
        409,
        "A request with this Idempotency-Key is still in progress",
        "The first request with this key has not been answered yet "
        "(draft-ietf-httpapi-idempotency-key-header). Retry after a moment: once it is "
        "answered, the retry gets the same answer.",
        ("field: header.Idempotency-Key",),
    ),
    "unauthorized": Kind(
        401,
        "Credentials required",
        "No credentials, or credentials the service does not accept: send "
        "'Authorization: Bearer <token>'.",
    ),
    "forbidden": Kind(
        403,
        "Not permitted",
        "The caller's role, agency or vendor may not do this; the detail says who may.",
    ),
    "not_found": Kind(404, "Not found", "No such record, or no such path."),
    "method_not_allowed": Kind(
        405,
        "Method not allowed",
        "The path does not take this method; the Allow header lists those it takes.",
    ),
    "too_large": Kind(
        413,
        "Request body too large",
        "The body is larger than the API reads (PROCURE_MAX_REQUEST_BYTES); it was refused "
        "before it was read in full.",
    ),
    "unavailable": Kind(
        503,
        "Temporarily unavailable",
        "PostgreSQL or Temporal could not be reached, or the engine is moving the "
        "procurement to a fresh run. Nothing was done; retry after the Retry-After header.",
        ("retry_after: seconds to wait, as the Retry-After header says",),
    ),
    "not_ready": Kind(
        503,
        "Not ready",
        "The readiness check: PostgreSQL or Temporal does not answer yet.",
        ("ready: false", "postgres, temporal: 'ok' or why not"),
    ),
    "server_error": Kind(
        500,
        "The service failed",
        "The service could not answer; the failure is in its log. This is a defect.",
    ),
}

# The kind of an error that names none, by its status.
BY_STATUS: dict[int, str] = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "refused",
    413: "too_large",
    422: "invalid_request",
    500: "server_error",
    503: "unavailable",
}


def type_uri(kind: str) -> str:
    return BASE + kind if kind in KINDS else "about:blank"


def is_problem(body: Mapping[str, Any]) -> bool:
    return all(member in body for member in ("type", "title", "status"))


def make(kind: str, detail: str, *, status: int | None = None, **members: Any) -> dict[str, Any]:
    """The problem document of a kind, with its extension members."""
    known = KINDS.get(kind)
    code = members.pop("code", None) or kind
    status = status or (known.status if known else 500)
    extensions = {k: v for k, v in members.items() if k not in STANDARD and k != "reason"}
    return {
        "type": type_uri(kind),
        "title": known.title if known else HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extensions,
        "reason": detail,
    }


def document(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """The problem document of an error body, in the standard shape or the earlier one."""
    if is_problem(body):
        return dict(body)
    members = dict(body)
    named = members.pop("error", None)
    reason = members.pop("reason", None)
    members.pop("detail", None)
    if isinstance(named, str) and named in KINDS and KINDS[named].status == status:
        kind = named
    else:
        kind = BY_STATUS.get(status, str(named or "http_error"))
    if reason:
        detail = str(reason)
    elif members.get("errors"):
        detail = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in members["errors"])
    else:
        detail = KINDS[kind].title if kind in KINDS else HTTPStatus(status).phrase
    return make(kind, detail, status=status, **members)


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def respond(status: int, content: Any, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An answer: JSON, or a problem document for an error status."""
    if status >= 400 and isinstance(content, Mapping):
        return ProblemResponse(document(status, content), status_code=status, headers=headers)
    return JSONResponse(content, status_code=status, headers=headers)
