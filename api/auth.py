"""Who is calling: a token issued by ``procure users create``, or an OIDC bearer token.

Issued tokens are looked up by hash. OIDC tokens are verified with PyJWT against the keys the
configured issuer publishes (its JWKS), for the configured audience; the role, agency and
vendor come from claims. No credentials: the public, who may read only what is public. Bad
credentials: 401. The wrong role or agency: 403 with the reason.

An operator (role ``operator``) runs the service, not a procurement: it moves the simulated
clock and reads what the public reads; what takes a role of the Procurement Code refuses it
with 403.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from api.errors import ApiError, problem
from api.services import Services
from db.users import OPERATOR, TOKEN_PREFIX, find_by_token
from procure.settings import Settings
from state_machines.authority import AGENCY_ROLES, OVERSIGHT_ROLES
from state_machines.models import ROLE_NAMES, Principal


def unauthorized(reason: str) -> ApiError:
    return problem("unauthorized", reason)


def forbidden(reason: str) -> ApiError:
    return problem("forbidden", reason)


@dataclass(frozen=True)
class Operator:
    """Whoever runs the service: an identity with the role ``operator``."""

    id: str
    name: str


def list_scope(user: Principal, agency: str | None) -> str | None:
    """The agency a caller's list of procurements is limited to (None: every agency), or 403:
    oversight sees every agency, buyers and State purchasing officers their own."""
    if user.role in OVERSIGHT_ROLES:
        return agency
    if user.role in AGENCY_ROLES:
        if agency is not None and agency != user.agency:
            raise forbidden(f"{user.name} reads only {user.agency}'s procurements.")
        return user.agency
    raise forbidden(
        "Lists of procurements are for agencies and oversight; vendors read the Bulletin and "
        "their own bid receipts."
    )


class OidcVerifier:
    """Verifies bearer JWTs against the issuer's published keys (cached by PyJWT)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        assert settings.oidc_issuer
        jwks_url = (
            settings.oidc_jwks_url or settings.oidc_issuer.rstrip("/") + "/.well-known/jwks.json"
        )
        self.keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300)

    def verify(self, token: str) -> Principal | Operator:
        s = self.settings
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256", "PS256"],
                audience=s.oidc_audience,
                issuer=s.oidc_issuer,
                options={"require": ["exp", "iss", "sub"]},
            )
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise unauthorized(f"The bearer token is not valid: {exc}.") from exc
        role = claims.get(s.oidc_role_claim)
        if role == OPERATOR:
            return Operator(
                id=f"oidc:{claims['sub']}", name=str(claims.get("name") or claims["sub"])
            )
        if role not in ROLE_NAMES:
            raise forbidden(
                f"The token's '{s.oidc_role_claim}' claim names no role of this service."
            )
        return Principal(
            id=f"oidc:{claims['sub']}",
            name=str(claims.get("name") or claims["sub"]),
            role=role,
            agency=claims.get(s.oidc_agency_claim),
            vendor=claims.get(s.oidc_vendor_claim),
        )


async def identify(request: Request) -> Principal | Operator | None:
    """Whoever the credentials name, once per request; None for no credentials."""
    if hasattr(request.state, "identity"):
        known: Principal | Operator | None = request.state.identity
        return known
    who = await _identify(request)
    request.state.identity = who
    return who


async def _identify(request: Request) -> Principal | Operator | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Send 'Authorization: Bearer <token>'.")
    token = token.strip()
    services: Services = request.app.state.services
    if token.startswith(TOKEN_PREFIX):
        row = await find_by_token(await services.db(), token)
        if row is None:
            raise unauthorized("The token is unknown or was disabled.")
        if row["role"] == OPERATOR:
            return Operator(id=row["user_id"], name=row["name"])
        return Principal(
            id=row["user_id"],
            name=row["name"],
            role=row["role"],
            agency=row["agency"],
            vendor=row["vendor"],
        )
    if services.settings.oidc_issuer:
        verifier: OidcVerifier | None = getattr(request.app.state, "oidc", None)
        if verifier is None:
            verifier = OidcVerifier(services.settings)
            request.app.state.oidc = verifier
        # Fetching the issuer's keys is blocking I/O in PyJWT: keep it off the event loop.
        return await asyncio.to_thread(verifier.verify, token)
    raise unauthorized("The token is not one this service issued, and no OIDC issuer is set.")


async def current_principal(request: Request) -> Principal | None:
    """The caller under the Procurement Code; an operator acts in no procurement, so it
    reads as the public does."""
    who = await identify(request)
    return who if isinstance(who, Principal) else None


Caller = Annotated[Principal | None, Depends(current_principal)]


async def signed_in(request: Request, principal: Caller) -> Principal:
    if principal is None:
        who = await identify(request)
        if isinstance(who, Operator):
            raise forbidden(
                f"{who.name} is an operator: an operator runs the service (the simulated "
                "clock) and acts in no procurement."
            )
        raise unauthorized("Sign in: send 'Authorization: Bearer <token>'.")
    return principal


User = Annotated[Principal, Depends(signed_in)]


async def operator(request: Request) -> Operator:
    """Only an operator: the simulated clock moves every procurement's time at once."""
    who = await identify(request)
    if who is None:
        raise unauthorized(
            "Only an operator moves the simulated clock: send 'Authorization: Bearer <token>' "
            "with an operator's token (procure users create --role operator)."
        )
    if not isinstance(who, Operator):
        role = ROLE_NAMES[who.role]
        article = "an" if role[0].lower() in "aeiou" else "a"
        raise forbidden(
            f"Only an operator moves the simulated clock; {who.name} is {article} {role}."
        )
    return who


Operated = Annotated[Operator, Depends(operator)]
