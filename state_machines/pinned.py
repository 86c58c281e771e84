"""Which rules a procurement runs under: the version pinned at its launch.

A correction of the law's reading that would take a running procurement down another path is
keyed to the rules version its launch recorded (``Facts.rules_version``), so a procurement
keeps the rules it started with and its history replays alike. Versions are ``YEAR.N``; a
version that is not one (the tests' ``"test"``) reads as the newest.
"""

from __future__ import annotations

# 2026.2: a tie goes to the only Illinois resident first (44 Ill. Adm. Code 1.2037(b)(1)),
# and the SPO's best-interest choice or split award applies only in all other situations.
RESIDENT_FIRST = "2026.2"
# 2026.2: the review window's exemption of 5-30(c)(ii) is judged by the contract as awarded.
AWARDED_VALUE = "2026.2"
# 2026.2: after a reverse auction, the lowest responsible bidder or no award (20-10(j)).
AUCTION_LOWEST_ONLY = "2026.2"
# 2026.3: a small purchase launched naming its vendor is awarded to that vendor, whose other
# small purchases the divided-need check counted (20-20(a)).
NAMED_VENDOR = "2026.3"
# 2026.3: a recommendation names its body, the Board (5-5(h)) or the Commission (5-7(e)).
REVIEW_BODY = "2026.3"


def _parsed(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def since(rules_version: str, version: str) -> bool:
    """Whether a procurement launched under ``rules_version`` follows the rules of ``version``."""
    pinned, wanted = _parsed(rules_version), _parsed(version)
    return pinned is None or wanted is None or pinned >= wanted
