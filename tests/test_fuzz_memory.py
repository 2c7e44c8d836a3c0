"""The file fuzzers (CPL and tracker) in a child process whose address space is capped, bounded
in time: every example must end in a clear message or a counted reject within the limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzzlimit import FUZZ_ADDRESS_SPACE, limit_address_space

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FUZZERS = ["tests/catalogue/test_cpl_fuzz.py", "tests/tracker/engine/test_file_fuzz.py"]
TIME_LIMIT_SECONDS = 900


def _child(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        preexec_fn=limit_address_space,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_SECONDS,
        check=False,
    )


def test_the_limit_binds_a_child():
    grab = _child(["-c", f"bytearray({FUZZ_ADDRESS_SPACE})"])
    assert grab.returncode != 0 and "MemoryError" in grab.stderr


def test_the_fuzzers_pass_under_the_memory_limit():
    run = _child(["-m", "pytest", *FUZZERS, "-q", "-n", "0", "-p", "no:cacheprovider"])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " skipped" not in run.stdout.splitlines()[-1], run.stdout[-2000:]
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"fuzzers' peak RSS {peak_mib:.0f} MiB under a {FUZZ_ADDRESS_SPACE >> 20} MiB limit")
