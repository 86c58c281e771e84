"""The sections of law each rule enforces, spelled once so every refusal cites them alike."""

from __future__ import annotations

# 30 ILCS 500: the Illinois Procurement Code.
BOARD_RECOMMENDATION = "30 ILCS 500/5-5(h)"
REVIEW_WINDOW = "30 ILCS 500/5-30(a)"
REVIEW_WAIVER = "30 ILCS 500/5-30(b)"
REVIEW_EXEMPTIONS = "30 ILCS 500/5-30(c)"
BULLETIN_NOTICE = "30 ILCS 500/15-25(a)"
BIDDER_NOTICE = "30 ILCS 500/15-25(b)"
AWARD_NOTICE = "30 ILCS 500/15-25(b-5)"
COMPUTATION_OF_DAYS = "30 ILCS 500/15-45"
SOURCE_SELECTION = "30 ILCS 500/20-5"
PUBLIC_NOTICE_IFB = "30 ILCS 500/20-10(c)"
BID_OPENING = "30 ILCS 500/20-10(d)"
BID_ACCEPTANCE = "30 ILCS 500/20-10(e)"
BID_CORRECTION = "30 ILCS 500/20-10(f)"
AWARD = "30 ILCS 500/20-10(g)"

# 44 Ill. Adm. Code 1: the rules of the Chief Procurement Officer for General Services.
PROTESTS = "44 Ill. Adm. Code 1.5550"
BID_WITHDRAWAL = "44 Ill. Adm. Code 1.2038"

# Rules of this service that are not statute: state order, identity of a launch.
STATE_ORDER = "30 ILCS 500/20-10"
