"""Who acts in tests: real identities issued like `procure users create` does, one per role,
agency and vendor, created on first use."""

from __future__ import annotations

import asyncpg

from db.users import create_user

DEFAULT_AGENCY = "Department of Transportation"


class People:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.tokens: dict[tuple[str, str | None], str] = {}

    async def token(
        self, role: str, *, agency: str | None = None, vendor: str | None = None
    ) -> str:
        key = (role, agency or vendor)
        if key not in self.tokens:
            issued = await create_user(
                self.pool,
                name=f"{role} of {agency or vendor or 'the State'}",
                role=role,
                agency=agency,
                vendor=vendor,
            )
            self.tokens[key] = issued.token
        return self.tokens[key]

    async def headers_for(self, actor: str, agency: str = DEFAULT_AGENCY) -> dict[str, str]:
        """'agency' and 'spo' act for the given agency; 'cpo', 'ppb', 'cei' are themselves;
        'public' sends no credentials; 'member:<unit>' is that unit's purchasing official; any
        other name is a vendor of that name."""
        if actor == "public":
            return {}
        if actor == "agency":
            token = await self.token("agency_buyer", agency=agency)
        elif actor == "spo":
            token = await self.token("spo", agency=agency)
        elif actor in ("cpo", "ppb", "cei"):
            token = await self.token(actor)
        elif actor.startswith("member:"):
            # A purchasing official of the unit of local government named after the colon.
            token = await self.token("member", agency=actor.removeprefix("member:"))
        else:
            token = await self.token("vendor", vendor=actor)
        return {"Authorization": f"Bearer {token}"}
