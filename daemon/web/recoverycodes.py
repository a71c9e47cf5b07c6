"""The recovery codes: the one the page shows, derived from the browser's token, and their hashes.

The code is HMAC(token) mod 10^6, so the store, which keeps only the token's SHA-256,
never holds it. A code is kept as an scrypt hash with a random salt: 10^6 codes are
few, and a slow hash is what stops a copy of the table from giving the code back
within its 5 minutes. Comparisons are constant-time.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}


def derive_code(token: str) -> str:
    digest = hmac.new(token.encode("utf-8", "surrogateescape"), b"callrouter recovery code", hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** 6:06d}"


def hash_code(code: str) -> str:
    salt = secrets.token_bytes(16)
    return f"scrypt${salt.hex()}${hashlib.scrypt(code.encode('ascii'), salt=salt, **_SCRYPT).hex()}"


def code_matches(stored: str, code: str) -> bool:
    """Constant-time comparison of `code` with a `hash_code` value (False for a malformed one)."""
    try:
        kind, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(code.encode("ascii", "replace")[:64], salt=bytes.fromhex(salt), **_SCRYPT).hex()
    except ValueError:
        candidate, digest = "x", "y"
    return hmac.compare_digest(candidate, digest)
