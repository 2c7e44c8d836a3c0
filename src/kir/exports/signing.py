"""The register's OpenPGP signing key, held by Debian's `gpg` in settings.CSAF_GNUPG_HOME
(KIR_VAR_DIR/gnupg unless KIR_CSAF_GNUPG_HOME says otherwise).

The newest valid secret key signs; every public key in the keyring is published, so copies
signed before a rotation still verify until the old key is retired. The key has no passphrase:
the keyring directory (mode 0700) is its protection, as for the register's secret key file.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

_TIMEOUT_SECONDS = 60


class SigningError(RuntimeError):
    pass


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str
    created: int
    user_id: str


def gnupg_home() -> Path:
    home = Path(settings.CSAF_GNUPG_HOME)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


def _gpg(*args: str, data: bytes | None = None) -> bytes:
    command = ["gpg", "--homedir", str(gnupg_home()), "--batch", "--no-tty", *args]
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError:
        raise SigningError("gpg is not installed (Debian package gnupg)") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise SigningError(f"gpg {args[-1] if args else ''}: {message}")
    return done.stdout


def _keys(listing: str) -> list[PublicKey]:
    """Valid primary keys of a `--with-colons` listing: not revoked, expired or disabled."""
    keys: list[PublicKey] = []
    pending: tuple[int, bool] | None = None
    fingerprint = ""
    for line in _gpg("--with-colons", "--fixed-list-mode", listing).decode().splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sec"):
            pending = (int(fields[5]), fields[1] not in ("r", "e", "d"))
            fingerprint = ""
        elif fields[0] == "fpr" and pending is not None and not fingerprint:
            fingerprint = fields[9]
        elif fields[0] == "uid" and pending is not None and fingerprint:
            created, valid = pending
            if valid:
                keys.append(PublicKey(fingerprint, created, fields[9]))
            pending = None
    return sorted(keys, key=lambda key: key.created, reverse=True)


def public_keys() -> list[PublicKey]:
    """Every published key, the signing key first."""
    signer = signing_fingerprint()
    keys = _keys("--list-keys")
    return sorted(keys, key=lambda key: key.fingerprint != signer)


def signing_fingerprint() -> str | None:
    """The key that signs now: the newest valid secret key, or None when there is none."""
    keys = _keys("--list-secret-keys")
    return keys[0].fingerprint if keys else None


def key_create() -> str:
    """A new signing key (Ed25519, no expiry: rotation is explicit); returns its fingerprint.
    It signs from now on, being the newest."""
    before = {key.fingerprint for key in _keys("--list-secret-keys")}
    user_id = f"{settings.CSAF_PUBLISHER_NAME} CSAF signing key <{settings.CSAF_KEY_EMAIL}>"
    _gpg(
        "--pinentry-mode", "loopback", "--passphrase", "", "--yes",
        "--quick-gen-key", user_id, "ed25519", "sign", "never",
    )  # fmt: skip
    created = [key for key in _keys("--list-secret-keys") if key.fingerprint not in before]
    if not created:
        raise SigningError("gpg made no new key")
    return created[0].fingerprint


def key_retire(fingerprint: str) -> None:
    """Remove a key from the keyring, secret and public: it is no longer published."""
    _gpg("--yes", "--delete-secret-and-public-key", fingerprint)


def public_key_armoured(fingerprint: str) -> str | None:
    if fingerprint not in {key.fingerprint for key in public_keys()}:
        return None
    return _gpg("--armor", "--export", fingerprint).decode()


def sign(data: bytes) -> tuple[str, str]:
    """(ASCII-armoured detached signature, signer's fingerprint), or ("", "") without a key."""
    signer = signing_fingerprint()
    if signer is None:
        return "", ""
    signature = _gpg(
        "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", signer,
        "--digest-algo", "SHA512", "--armor", "--detach-sign", "--output", "-",
        data=data,
    )  # fmt: skip
    return signature.decode(), signer
