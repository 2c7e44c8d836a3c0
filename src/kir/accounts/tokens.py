"""Personal API token secrets: generation, the stored hash and the displayed prefix (pure)."""

from __future__ import annotations

import hashlib
import secrets

SECRET_PREFIX = "kir_"
# Characters of the secret kept in clear (fits ApiToken.prefix), enough to tell tokens apart.
DISPLAY_PREFIX_LENGTH = 12
# 32 random bytes: 256 bits, beyond any guessing.
_SECRET_BYTES = 32


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest; secrets are long and random, so no salt or slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    return secret[:DISPLAY_PREFIX_LENGTH]


def looks_like_secret(secret: str) -> bool:
    """A cheap shape check that spares the database malformed or foreign credentials."""
    return (
        secret.startswith(SECRET_PREFIX)
        and len(secret) > DISPLAY_PREFIX_LENGTH
        and len(secret) <= 200
        and secret.isascii()
        and secret.isprintable()
        and " " not in secret
    )
