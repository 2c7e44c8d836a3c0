"""House rules that a reviewer would otherwise check by hand."""

from __future__ import annotations

from pathlib import Path

import kir

MAX_LINES = 500


def long_modules(root: Path) -> dict[str, int]:
    """Modules over MAX_LINES lines; migrations aside, since they are history, not design."""
    lengths = {
        str(path.relative_to(root)): len(path.read_text("utf-8").splitlines())
        for path in root.rglob("*.py")
        if "migrations" not in path.parts
    }
    return {name: lines for name, lines in lengths.items() if lines > MAX_LINES}


def test_no_module_of_kir_is_over_500_lines():
    assert long_modules(Path(kir.__file__).parent) == {}


def test_it_counts_lines_and_leaves_migrations_alone(tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900)
    (tmp_path / "long.py").write_text("x = 1\n" * 501)
    (tmp_path / "short.py").write_text("x = 1\n" * 500)
    assert long_modules(tmp_path) == {"long.py": 501}
