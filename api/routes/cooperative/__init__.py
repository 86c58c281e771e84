"""Joint and cooperative purchasing: members, their documents, contracts open to joint or
cooperative use, orders off them, and the report of their use.

- ``/v1/members``: units of local government (and State Use facilities) registered to buy off
  State and cooperative contracts, with their participation resolution or MICPA on file
  (:mod:`.members`).
- ``/v1/contracts``: contracts opened to joint (State master contract) or cooperative use,
  from a procurement of this service or entered with their award details. Public, as the
  Bulletin publishes them (:mod:`.contracts`).
- ``/v1/orders``: a member's order runs as its own workflow (``workflows/order.py``); it is
  visible to the member, the contract's lead and the supervisors (:mod:`.orders`).
- ``/v1/reports/contract-use``: use of each contract by member and period, with reminders
  (:mod:`.reports`).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.cooperative import contracts, members, orders, reports

router = APIRouter()
# In this order, the order of their paths in the OpenAPI document.
for part in (members, contracts, orders, reports):
    router.include_router(part.router)
