"""Style rules no formatter enforces: no hand-written function is longer than MAX_LINES lines."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_LINES = 80
# Hand-written code; generated code (generated/ sits outside these roots) is regenerated, not edited.
ROOTS = ("reglet_sdk", "codegen/reglet_codegen", "examples", "benchmarks", "tests")
GENERATED = ("examples/*/generated/*", "tests/codegen/golden/*")


@dataclass(frozen=True)
class Function:
    path: str  # relative to the repository, with forward slashes
    qualname: str  # Class.method, outer.inner
    line: int
    length: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.qualname} ({self.length} lines)"


def hand_written_files() -> Iterator[Path]:
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if not any(fnmatch(relative, pattern) for pattern in GENERATED):
                yield path


def functions(node: ast.AST, path: str, prefix: str = "") -> Iterator[Function]:
    """Every function and method under `node`, nested ones included, with its qualified name."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            qualname = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                assert child.end_lineno is not None  # set by ast.parse for every statement
                yield Function(path, qualname, child.lineno, child.end_lineno - child.lineno + 1)
            yield from functions(child, path, f"{qualname}.")
        else:
            yield from functions(child, path, prefix)


@functools.cache
def all_functions() -> tuple[Function, ...]:
    found: list[Function] = []
    for path in hand_written_files():
        relative = path.relative_to(REPO).as_posix()
        found.extend(functions(ast.parse(path.read_text(encoding="utf-8"), filename=relative), relative))
    return tuple(found)


def test_the_roots_hold_the_code() -> None:
    """Guards the scan itself: a moved root would otherwise make the other tests pass vacuously."""
    paths = {function.path.split("/")[0] for function in all_functions()}
    assert paths >= {"reglet_sdk", "codegen", "examples", "benchmarks", "tests"}
    assert not [p for p in hand_written_files() if "generated" in p.relative_to(REPO).parts]


def test_no_function_is_longer_than_the_limit() -> None:
    too_long = [f for f in all_functions() if f.length > MAX_LINES]
    assert not too_long, f"functions longer than {MAX_LINES} lines (split them):\n" + "\n".join(map(str, too_long))
