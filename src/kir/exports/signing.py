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


def _keys(*, secret_only: bool = False) -> list[PublicKey]:
    """Valid primary keys of the keyring, newest first: not revoked, expired or disabled.
    `secret_only` keeps those whose secret key file is there, found by keygrip, so that asking
    which key signs starts no gpg-agent (only signing does)."""
    keys: list[PublicKey] = []
    pending: dict[str, object] = {}
    listing = _gpg("--with-colons", "--fixed-list-mode", "--with-keygrip", "--list-keys")
    for line in listing.decode().splitlines():
        fields = line.split(":")
        if fields[0] == "pub":
            pending = {"created": int(fields[5]), "valid": fields[1] not in ("r", "e", "d")}
        elif fields[0] in ("fpr", "grp") and pending and fields[0] not in pending:
            pending[fields[0]] = fields[9]
        elif fields[0] == "uid" and pending.get("valid") and "grp" in pending:
            secret = gnupg_home() / "private-keys-v1.d" / f"{pending['grp']}.key"
            if not secret_only or secret.exists():
                keys.append(PublicKey(str(pending["fpr"]), int(str(pending["created"])), fields[9]))
            pending = {}
    # Newest first; of two made in the same second, the later in the keyring (gpg's order).
    return [key for _, key in sorted(enumerate(keys), key=lambda p: (p[1].created, p[0]))][::-1]


def public_keys() -> list[PublicKey]:
    """Every published key, the signing key first."""
    signer = signing_fingerprint()
    keys = _keys()
    return sorted(keys, key=lambda key: key.fingerprint != signer)


def _keyring_state(home: Path) -> tuple[str, int, int]:
    """What changes when a key is added or removed, by this process or `kir csaf key ...`."""
    secret, public = home / "private-keys-v1.d", home / "pubring.kbx"
    return str(home), _mtime(secret), _mtime(public)


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0


_signer_cache: dict[tuple[str, int, int], str | None] = {}


def signing_fingerprint() -> str | None:
    """The key that signs now: the newest valid secret key, or None when there is none. Asked
    of gpg once per state of the keyring (a call costs a process: 5 ms of each refresh)."""
    state = _keyring_state(gnupg_home())
    if state not in _signer_cache:
        keys = _keys(secret_only=True)
        _signer_cache.clear()
        _signer_cache[state] = keys[0].fingerprint if keys else None
    return _signer_cache[state]


def key_create() -> str:
    """A new signing key (Ed25519, no expiry: rotation is explicit); returns its fingerprint.
    It signs from now on, being the newest."""
    before = {key.fingerprint for key in _keys(secret_only=True)}
    user_id = f"{settings.CSAF_PUBLISHER_NAME} CSAF signing key <{settings.CSAF_KEY_EMAIL}>"
    _gpg(
        "--pinentry-mode", "loopback", "--passphrase", "", "--yes",
        "--quick-gen-key", user_id, "ed25519", "sign", "never",
    )  # fmt: skip
    created = [key for key in _keys(secret_only=True) if key.fingerprint not in before]
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


_clearsigned: dict[tuple[str, str], str] = {}


def clearsign(text: str) -> str:
    """`text` as an OpenPGP cleartext-signed message (RFC 4880 section 7), as RFC 9116 section
    2.3 allows for security.txt; `text` itself while no key exists. Signed once per text and
    key in this process: the text changes once a day, and each signature costs a gpg run."""
    signer = signing_fingerprint()
    if signer is None:
        return text
    if (text, signer) not in _clearsigned:
        signed = _gpg(
            "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", signer,
            "--digest-algo", "SHA512", "--clearsign", "--output", "-",
            data=text.encode(),
        )  # fmt: skip
        _clearsigned.clear()
        _clearsigned[(text, signer)] = signed.decode()
    return _clearsigned[(text, signer)]
