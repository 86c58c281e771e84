"""Sealed bids: contents encrypted at rest until the opening (30 ILCS 500/20-10(d)).

The key comes from configuration (``PROCURE_BID_KEY``), never from the database, so a copy of
the database alone reveals no price. Fernet (``cryptography``) gives authenticated encryption:
a sealed bid altered in storage fails to open rather than opening to something else. The
receipt's digest is SHA-256 over the bid's canonical JSON; at the opening the digest is
recomputed from what decrypts, and the tabulation records whether they match.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken


def canonical_bid(reference: str, vendor: str, contents: dict[str, Any]) -> bytes:
    body = {"reference": reference, "vendor": vendor, **contents}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def bid_digest(reference: str, vendor: str, contents: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bid(reference, vendor, contents)).hexdigest()


class Sealer:
    def __init__(self, key: str | bytes) -> None:
        self.fernet = Fernet(key)

    def seal(self, contents: dict[str, Any]) -> bytes:
        return self.fernet.encrypt(json.dumps(contents, sort_keys=True, default=str).encode())

    def open(self, sealed: bytes) -> dict[str, Any]:
        try:
            contents: dict[str, Any] = json.loads(self.fernet.decrypt(sealed))
        except InvalidToken as exc:
            raise ValueError("the sealed bid does not open with the configured key") from exc
        return contents


def amount_of(contents: dict[str, Any], field: str) -> Decimal:
    return Decimal(str(contents.get(field, "0")))


def dev_key(data_dir: Path) -> str:
    """The embedded stack's key, made once under the data directory (mode 0600)."""
    path = data_dir / "bid.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()
