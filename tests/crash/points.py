"""Deterministic kill points for crash tests, installed in a child process.

`kill_after_sql` SIGKILLs the process right after its N-th statement of a kind on a table has
run on the database, inside whatever transaction is open: the point is a statement, not a time.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from django.db import connection


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_after_sql(verb: str, table: str, count: int = 1) -> None:
    seen = 0

    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        nonlocal seen
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith(verb.upper()) and table in sql:
            seen += 1
            if seen == count:
                assert not connection.get_autocommit(), f"{verb} {table} ran outside a transaction"
                die()
        return result

    connection.ensure_connection()
    connection.execute_wrappers.append(wrapper)
