"""BSI's csaf-validator-lib (npm), run by tools/csaf-validator/validate.mjs: the strict CSAF 2.0
schema and every mandatory test 6.1.x. One Node process per test session; documents go over its
stdin one line each and come back as one result line each."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

TOOL = Path(__file__).resolve().parents[2] / "tools" / "csaf-validator"
LIBRARY = TOOL / "node_modules" / "@secvisogram" / "csaf-validator-lib"


class CsafValidator:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH: the CSAF tests need Node 20")
        if not LIBRARY.is_dir():
            raise RuntimeError(f"{LIBRARY} is missing: run `npm ci` in {TOOL}")
        self.process = subprocess.Popen(
            [node, str(TOOL / "validate.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def failures(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        """Every failed check of the document: [] when it is valid."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(document, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the validator stopped (exit status {self.process.poll()})")
        result = json.loads(line)
        assert result["isValid"] == (not result["failures"]), result
        return result["failures"]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
