from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.exports.csaf_validator import CsafValidator
from tests.exports.gpg import GpgVerifier


@pytest.fixture(scope="session")
def csaf_validator() -> Iterator[CsafValidator]:
    validator = CsafValidator()
    yield validator
    validator.close()


@pytest.fixture
def signing_home(settings) -> Iterator[Path]:
    """An empty keyring of the register's own, in a short path (gpg-agent's socket lives in it)."""
    home = Path(tempfile.mkdtemp(prefix="kir-gpg-"))
    settings.CSAF_GNUPG_HOME = str(home)
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def signing_key(signing_home) -> str:
    from kir.exports.signing import key_create

    return key_create()


@pytest.fixture
def verifier() -> Iterator[GpgVerifier]:
    """A reader's gpg, with a keyring apart from the register's: it trusts only what it fetched."""
    home = Path(tempfile.mkdtemp(prefix="kir-gpgv-"))
    yield GpgVerifier(home)
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def demo(settings, signing_home) -> None:
    """The demo register, with a keyring of its own (empty until a test makes a key)."""
    from kir.web.demo.seed import seed_demo

    settings.KIR_DEMO = True
    seed_demo()
