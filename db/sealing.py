"""Sealed bids: contents encrypted at rest until the opening (30 ILCS 500/20-10(d)), and the
commitment each receipt carries.

The key comes from configuration (``PROCURE_BID_KEY``), never from the database, so a copy of
the database alone reveals no price. Fernet (``cryptography``) gives authenticated encryption:
a sealed bid altered in storage fails to open rather than opening to something else.

A receipt's ``sha256`` is a commitment: HMAC-SHA256 over the bid's canonical JSON, keyed with
a random 32-byte nonce drawn for that bid alone. The nonce is sealed with the contents and
given to the vendor in its receipt, so the vendor can check the commitment against what it
sent, while anyone else holding the commitment (the Bulletin's list at the opening, a log, a
copy of the receipt without its nonce) cannot recompute it from guessed contents: guessing
the price means guessing 256 random bits too. At the opening the commitment is recomputed from
what decrypts and the tabulation records whether they match; after it the nonce is public with
the tabulation, so anyone can check every row against the list published before unsealing.

Bids received before commitments existed carry a plain SHA-256 of the same canonical JSON and
no nonce; they are verified the old way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 32
_ENVELOPE = 2  # sealed {"v": 2, "contents": ..., "nonce": hex}; older rows hold contents alone


def canonical_bid(reference: str, vendor: str, contents: dict[str, Any]) -> bytes:
    """The bytes a commitment covers: the reference, the vendor and what was bid."""
    body = {"reference": reference, "vendor": vendor, **contents}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


def commitment(nonce: bytes, reference: str, vendor: str, contents: dict[str, Any]) -> str:
    return hmac.new(nonce, canonical_bid(reference, vendor, contents), hashlib.sha256).hexdigest()


def legacy_digest(reference: str, vendor: str, contents: dict[str, Any]) -> str:
    """The unkeyed digest of bids received before commitments (verification only)."""
    return hashlib.sha256(canonical_bid(reference, vendor, contents)).hexdigest()


def matches(
    digest: str, nonce: bytes | None, reference: str, vendor: str, contents: dict[str, Any]
) -> bool:
    expected = (
        commitment(nonce, reference, vendor, contents)
        if nonce is not None
        else legacy_digest(reference, vendor, contents)
    )
    return hmac.compare_digest(expected, digest)


def set_digest(commitments: list[str]) -> str:
    """One SHA-256 over a set of commitments, sorted, one per line: what the opening's audit
    entry records, so the hash chain anchors the list the Bulletin published."""
    return hashlib.sha256("\n".join(sorted(commitments)).encode()).hexdigest()


class Sealer:
    def __init__(self, key: str | bytes) -> None:
        self.fernet = Fernet(key)
        raw = base64.urlsafe_b64decode(key if isinstance(key, bytes) else key.encode())
        # A second key for recognizing a resubmission of the same contents; derived, so the
        # one configured secret serves both and neither reveals the other.
        self._mac_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"procureflow bid content"
        ).derive(raw)

    def seal(self, contents: dict[str, Any], nonce: bytes) -> bytes:
        envelope = {"v": _ENVELOPE, "contents": contents, "nonce": nonce.hex()}
        return self.fernet.encrypt(json.dumps(envelope, sort_keys=True, default=str).encode())

    def open(self, sealed: bytes) -> tuple[dict[str, Any], bytes | None]:
        """The contents and the nonce (None for a bid sealed before commitments)."""
        try:
            data: dict[str, Any] = json.loads(self.fernet.decrypt(sealed))
        except InvalidToken as exc:
            raise ValueError("the sealed bid does not open with the configured key") from exc
        if data.get("v") == _ENVELOPE:
            return dict(data["contents"]), bytes.fromhex(data["nonce"])
        return data, None

    def content_key(self, reference: str, vendor: str, contents: dict[str, Any]) -> str:
        """A keyed fingerprint of the contents: equal for the same bid sent twice, and useless
        to anyone without the configured key."""
        return hmac.new(
            self._mac_key, canonical_bid(reference, vendor, contents), hashlib.sha256
        ).hexdigest()


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
