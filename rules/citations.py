"""The sections of law each rule enforces, spelled once so every refusal cites them alike."""

from __future__ import annotations

# 30 ILCS 500: the Illinois Procurement Code.
BOARD_RECOMMENDATION = "30 ILCS 500/5-5(h)"
CEI_RECOMMENDATION = "30 ILCS 500/5-7(e)"
# The hearing a vendor may request on either body's recommendation.
RECOMMENDATION_HEARING = "30 ILCS 500/5-5(h); 30 ILCS 500/5-7(e)"
REVIEW_WINDOW = "30 ILCS 500/5-30(a)"
REVIEW_WAIVER = "30 ILCS 500/5-30(b)"
REVIEW_EXEMPTIONS = "30 ILCS 500/5-30(c)"
BULLETIN_NOTICE = "30 ILCS 500/15-25(a)"
BIDDER_NOTICE = "30 ILCS 500/15-25(b)"
AWARD_NOTICE = "30 ILCS 500/15-25(b-5)"
CONTRACT_RENEWAL = "30 ILCS 500/15-25(c-10)"
# "including renegotiated contracts and change orders": noticed, let and awarded like any.
CONTRACT_CHANGE = "30 ILCS 500/15-25(a),(b),(b-5)"
COMPUTATION_OF_DAYS = "30 ILCS 500/15-45"
SOURCE_SELECTION = "30 ILCS 500/20-5"
PUBLIC_NOTICE_IFB = "30 ILCS 500/20-10(c)"
BID_OPENING = "30 ILCS 500/20-10(d)"
BID_ACCEPTANCE = "30 ILCS 500/20-10(e)"
BID_CORRECTION = "30 ILCS 500/20-10(f)"
AWARD = "30 ILCS 500/20-10(g)"
FAILED_BID_NOTICE = "30 ILCS 500/20-10(g-5)"
MULTI_STEP = "30 ILCS 500/20-10(h)"
REVERSE_AUCTION = "30 ILCS 500/20-10(j)"
PUBLIC_NOTICE_RFP = "30 ILCS 500/20-15(c)"
PROPOSAL_OPENING = "30 ILCS 500/20-15(d)"
PROPOSAL_SCORING = "30 ILCS 500/20-15(e-5)"
BEST_AND_FINAL = "30 ILCS 500/20-15(f)"
PROPOSAL_AWARD = "30 ILCS 500/20-15(g)"
SMALL_PURCHASE = "30 ILCS 500/20-20(a)"
SMALL_PURCHASE_CERTIFICATION = "30 ILCS 500/20-20(d)"
SMALL_PURCHASE_VALUE = "44 Ill. Adm. Code 1.2020(b)"
REPETITIVE_NEED = "44 Ill. Adm. Code 1.2020(d)"
SMALL_PURCHASE_OVERRUN = "44 Ill. Adm. Code 1.2020(b)(3)"
SOLE_SOURCE = "30 ILCS 500/20-25"
SOLE_SOURCE_NOTICE = "30 ILCS 500/15-25(c-15)"
EMERGENCY = "30 ILCS 500/20-30"
EMERGENCY_DISCLOSURE = "30 ILCS 500/15-25(c)"
TIE_BIDS = "44 Ill. Adm. Code 1.2037"
RECIPROCITY = "30 ILCS 500/45-10(a),(b); 44 Ill. Adm. Code 1.4510(c)"

# 44 Ill. Adm. Code 1: the rules of the Chief Procurement Officer for General Services.
PROTESTS = "44 Ill. Adm. Code 1.5550"
BID_WITHDRAWAL = "44 Ill. Adm. Code 1.2038"

# Rules of this service that are not statute: state order, identity of a launch.
STATE_ORDER = "30 ILCS 500/20-5"
