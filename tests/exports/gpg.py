"""A reader's side of OpenPGP: import a published key, `gpg --verify` a detached signature."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GpgVerifier:
    def __init__(self, home: Path) -> None:
        self.home = home
        home.chmod(0o700)

    def _gpg(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--no-tty", *args],
            capture_output=True,
            timeout=60,
            check=False,
        )

    def import_key(self, armoured: bytes) -> list[str]:
        """Import a public key; the fingerprints now held."""
        done = subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--import"],
            input=armoured,
            capture_output=True,
            timeout=60,
            check=True,
        )
        assert done.returncode == 0
        listing = self._gpg("--with-colons", "--list-keys").stdout.decode()
        return [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]

    def verify(self, data: bytes, signature: bytes) -> str | None:
        """The fingerprint of the key that made a good signature over `data`, or None."""
        signed = self.home / "signed.bin"
        detached = self.home / "signed.bin.asc"
        signed.write_bytes(data)
        detached.write_bytes(signature)
        done = self._gpg("--status-fd", "1", "--verify", str(detached), str(signed))
        if done.returncode != 0:
            return None
        for line in done.stdout.decode().splitlines():
            if line.startswith("[GNUPG:] VALIDSIG "):
                return line.split()[2]
        return None

    def verify_clearsigned(self, message: bytes) -> str | None:
        """The fingerprint of the key that made a good cleartext signature, or None."""
        signed = self.home / "clearsigned.txt"
        signed.write_bytes(message)
        done = self._gpg("--status-fd", "1", "--verify", str(signed))
        if done.returncode != 0:
            return None
        for line in done.stdout.decode().splitlines():
            if line.startswith("[GNUPG:] VALIDSIG "):
                return line.split()[2]
        return None
