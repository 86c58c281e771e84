"""The search attributes every procurement workflow carries, so the Temporal UI and programs
can filter by state, agency, method and next deadline. Pure definitions: the workflow upserts
them, the dev stack and tests register them, the compose stack registers the same names."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

STATE = SearchAttributeKey.for_keyword("ProcurementState")
AGENCY = SearchAttributeKey.for_keyword("ProcurementAgency")
METHOD = SearchAttributeKey.for_keyword("ProcurementMethod")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")

ALL = (STATE, AGENCY, METHOD, NEXT_DEADLINE)
