"""Login tokens: random, shown once, kept only as a digest.

A token is `ig_` and 32 random bytes (URL-safe base64), 256 bits that no one can guess, so a
plain SHA-256 of it is a safe thing to store: a slow password hash protects guessable
secrets, and a random token gives a brute force nothing to start from. The prefix lets
secret scanners and people recognise a leaked token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "ig_"
TOKEN_BYTES = 32
# Far longer than any token this module makes: a longer header is refused before hashing.
MAX_TOKEN_CHARS = 128


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def digests_match(stored: str, presented: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(stored.encode("ascii"), presented.encode("ascii"))


def looks_like_token(text: str) -> bool:
    """Shaped like a token of ours (checked before any lookup)."""
    return text.startswith(TOKEN_PREFIX) and len(text) <= MAX_TOKEN_CHARS
