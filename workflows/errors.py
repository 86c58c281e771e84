"""How a workflow refuses a command: the error types its callers translate into 409 and 403.

Both workflows (procurements and orders) raise these from their update validators and
handlers, so a refusal reaches the caller at once with its rule, citation and reason.
"""

from __future__ import annotations

from typing import Any, Protocol

from temporalio.exceptions import ApplicationError

REFUSED = "Refused"
FORBIDDEN = "Forbidden"


class Refusing(Protocol):
    @property
    def reason(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


def refusal_error(refusal: Refusing) -> ApplicationError:
    """The law (or the service's own rule) refuses: the refusal travels whole as the detail."""
    return ApplicationError(refusal.reason, refusal.as_dict(), type=REFUSED, non_retryable=True)


def forbidden_error(reason: str) -> ApplicationError:
    """The caller's role or agency may not give this command."""
    detail = {"code": "forbidden", "citation": "", "reason": reason, "field": None}
    return ApplicationError(reason, detail, type=FORBIDDEN, non_retryable=True)
