"""The fuzzers run under an address-space limit (tests/test_fuzz_memory.py starts them so).

Run any other way, they skip: an unbounded run would prove nothing about memory, and the
suite would pay for each fuzzer twice.
"""

from __future__ import annotations

import resource

import pytest

# What a fuzzer's process may map in all: Python, Django, DuckDB, pyarrow and one small file.
FUZZ_ADDRESS_SPACE = 1536 * 2**20


def under_memory_limit() -> bool:
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return soft != resource.RLIM_INFINITY and soft <= FUZZ_ADDRESS_SPACE


requires_memory_limit = pytest.mark.skipif(
    not under_memory_limit(), reason="a fuzzer: run by tests/test_fuzz_memory.py under RLIMIT_AS"
)


def limit_address_space() -> None:
    """For subprocess preexec_fn: cap the child's address space."""
    resource.setrlimit(resource.RLIMIT_AS, (FUZZ_ADDRESS_SPACE, FUZZ_ADDRESS_SPACE))
