"""Every code a 409 refusal can carry, listed in the OpenAPI document.

The guards of every route declare their own codes (``state_machines.routes``), so those are
read from the routes; the refusals made outside them (the launch, the bid intake, the
engine's limits, idempotency, reads of sealed records, cooperative purchasing) are declared
here, each with what it means. A test keeps this list and the code base equal.
"""

from __future__ import annotations

from state_machines.routes import ROUTES

OUTSIDE_ROUTES: dict[str, str] = {
    # The machine itself (state_machines.procurement).
    "illegal_transition": "the command is not one the procurement's state takes",
    "unknown_command": "no such command for this method",
    "invalid_payload": "the command's body does not fit its trigger",
    "procurement_finished": "the procurement is closed or cancelled; no command changes it",
    "not_in_method": "the command belongs to another source-selection method",
    # The launch (state_machines.launch) and the reference.
    "method_not_allowed": "the method may not buy this category (20-10(j))",
    "auction_determination_missing": "a reverse auction needs the CPO's determination (20-10(j))",
    "intended_contractor_missing": "a sole source names its contractor (15-25(c-15))",
    "scoring_plan_missing": "a request for proposals states its points (20-15(e))",
    "scoring_plan_invalid": "the points are not a lawful plan (20-15(e), (e-5))",
    "preferences_invalid": "the preference settings cannot be used (Art. 45)",
    "preference_out_of_scope": "a preference outside its statute's scope (Art. 45; 595/10; 555/1)",
    "over_small_purchase_limit": "the value is over the small purchase limit (20-20; 1.2020)",
    "value_missing": "a small purchase states its value (1.2020(b))",
    "divided_purchase": "a need divided to come under the limit (20-20(c); 1.2020(d))",
    "overrun_method": "a small purchase's overrun is completed by sole source or emergency "
    "(1.2020(b)(3))",
    "overrun_not_signed_small_purchase": "the overrun names no signed small purchase of this "
    "agency (1.2020(b)(3))",
    "overrun_within_limit": "the actual cost does not exceed the small purchase limit "
    "(1.2020(b)(3))",
    "contract_missing": "a renewal or change names the contract it changes (15-25)",
    "contract_kind_mismatch": "a renewal is contract_renewal, a change order contract_change",
    "contract_not_applicable": "only a renewal or change names a contract to change",
    "contract_unknown": "no contract of this agency awarded under that reference (15-25)",
    "not_renewable": "the contract was launched nonrenewable (15-25(c-10))",
    "determination_in_future": "a renewal or change is launched after its determination",
    "multi_step_terms_missing": "multi-step bidding states why and its criteria (20-10(h))",
    "multi_step_not_applicable": "only multi-step sealed bidding takes technical offers first",
    "lot_method": "only a solicitation inviting competing offers is let in lots",
    "lot_number_taken": "another procurement is that lot of the solicitation",
    "lot_mismatch": "a lot differs from its solicitation's other lots in what they share",
    "reference_in_use": "the reference names another procurement",
    # The bid intake (api.intake, state_machines.intake).
    "bid_intake": "bids go to the intake, not to the workflow (20-10(d))",
    "bid_limit": "a vendor's bids or submissions over the service's caps",
    "opening_passed": "received at or after the opening time (20-10(d), 20-15(d))",
    "freight_required": "coal is compared with its transportation (555/1)",
    "freight_not_applicable": "freight is stated apart only for coal (555/1)",
    "technical_offer_required": "multi-step bidding's first step takes no price (20-10(h))",
    "priced_bid_required": "only multi-step bidding's first step takes unpriced offers",
    "sealed": "the record is sealed until the opening or the award (20-10(d), 20-15(d))",
    # The engine, idempotency and the simulated clock.
    "update_limit": "a procurement started before continue-as-new reached Temporal's limit",
    "clock_backwards": "the simulated clock only moves forward",
    "failed": "the engine refused the command for a reason given in full",
    # Cooperative purchasing (cooperative/).
    "ceiling_exceeded": "an order over the master contract's ceiling",
    "contract_expired": "the master contract has expired",
    "contract_not_in_term": "the order falls outside the contract's term",
    "item_not_on_contract": "the item is not on the master contract",
    "line_incomplete": "an order line lacks its quantity or price",
    "member_exists": "the member is already registered",
    "not_awarded": "the contract was not awarded by a procurement",
    "not_contract_price": "the price is not the contract's",
    "not_eligible": "the buyer is not eligible for the program",
    "not_held": "the order is not held",
    "not_open_to_kind": "the contract is not open to this kind of member",
    "not_registered": "the member has not registered (participation resolution, MICPA)",
    "unknown_contract": "no such master contract",
    "refused": "a cooperative rule refused the order, its reason given in full",
}


def codes() -> list[str]:
    """Every refusal code the API can return, sorted."""
    routed = {
        g.code for routes in ROUTES.values() for route in routes.values() for g in route.guards
    }
    return sorted(routed | set(OUTSIDE_ROUTES))
