from __future__ import annotations

import hashlib

from kir.accounts.tokens import display_prefix, generate_secret, hash_secret, looks_like_secret


def test_it_generates_distinct_long_prefixed_secrets():
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("kir_") and len(s) >= 40 for s in secrets)
    assert all(looks_like_secret(s) for s in secrets)


def test_it_hashes_with_sha256_and_keeps_only_a_short_prefix():
    secret = generate_secret()
    assert hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert display_prefix(secret) == secret[:12]


def test_it_rejects_malformed_secrets_by_shape():
    for bad in [
        "",
        "kir_",
        "kir_short",
        "abc_" + "x" * 40,
        "kir_" + "x" * 300,
        "kir_ab cdefghijkl",
    ]:
        assert not looks_like_secret(bad), bad
    assert not looks_like_secret("kir_" + "é" * 20)
