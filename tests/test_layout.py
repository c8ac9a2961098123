"""The layout says which world each module lives in, and every host function is one hop per layer away.

- The guest author API (everything in reglet_sdk but host/, toolchain/, testing/ and cli.py) is
  compiled into every component: it imports nothing from those, and no third-party package but the
  ones bundled into components.
- For every Host rpc: proto -> generated stub -> host implementation -> author wrapper -> tests,
  each found by name (ExecCommand: host.exec_command, reglet_sdk/host/exec.py, reglet_sdk/exec.py,
  tests/unit/host/test_exec.py; FsRead: host.fs_read, reglet_sdk/host/fs.py, reglet_sdk/fs.py,
  tests/unit/host/test_fs_read.py).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reglet_abi.reglet.v1 import services
from reglet_abi.reglet.v1.guest import HostStub
from reglet_sdk.toolchain.componentize import GUEST_PACKAGES, NOT_IN_COMPONENT, TESTING_PARTS

REPO = Path(__file__).resolve().parent.parent
SDK = REPO / "reglet_sdk"
NETWORK_FUNCTIONS = {"dns", "http", "tcp", "smtp"}


def guest_modules() -> list[Path]:
    """The guest author API, and the parts of testing/ a test component may bundle."""
    return sorted(
        path
        for path in SDK.rglob("*.py")
        if path.relative_to(SDK).parts[0] not in NOT_IN_COMPONENT or path.relative_to(SDK).as_posix() in TESTING_PARTS
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, but the bodies of `if TYPE_CHECKING:` blocks (never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in (child, *_runtime_nodes(child)))
            continue
        yield node
        yield from _runtime_nodes(node)


def imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute module an import statement in `path` names (also inside functions), as run."""
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            yield from ((f"{node.module}.{alias.name}", node.lineno) for alias in node.names)


def test_there_is_a_guest_part_and_it_holds_the_author_api() -> None:
    names = {path.relative_to(SDK).as_posix() for path in guest_modules()}
    assert {"plugin.py", "results.py", "exec.py", "fs.py", "log.py", "net/dns.py", "config.py"} <= names
    assert not any(name.startswith(("host/", "toolchain/")) for name in names)
    assert {name for name in names if name.startswith("testing/")} == set(TESTING_PARTS)


@pytest.mark.parametrize("path", guest_modules(), ids=lambda p: p.relative_to(SDK).as_posix())
def test_guest_modules_import_only_what_a_component_carries(path: Path) -> None:
    forbidden = tuple(f"reglet_sdk.{part.removesuffix('.py')}" for part in NOT_IN_COMPONENT)
    allowed_roots = {*GUEST_PACKAGES, *sys.stdlib_module_names, "__future__"}
    problems = [
        f"line {line}: {module}"
        for module, line in imported_modules(path)
        if module.startswith(forbidden) or module.split(".")[0] not in allowed_roots
    ]
    assert problems == [], f"{path.relative_to(REPO)} imports what no component has"


def host_rpcs() -> list[tuple[str, str]]:
    (host,) = (service for service in services.SERVICES if service.name == "Host")
    return [(method.name, method.python_name) for method in host.methods]


@pytest.mark.parametrize(("rpc", "function"), host_rpcs())
def test_each_host_function_is_one_hop_per_layer(rpc: str, function: str) -> None:
    short = function.split("_")[0]
    subfolder = "net/" if short in NETWORK_FUNCTIONS else ""
    assert callable(getattr(HostStub, function, None)), f"no generated stub host.{function} for {rpc}"
    implementation = SDK / "host" / f"{subfolder}{short}.py"
    assert implementation.is_file(), f"{rpc}: the host implementation belongs in {implementation.relative_to(REPO)}"
    defined = {node.name for node in ast.parse(implementation.read_text()).body if isinstance(node, ast.FunctionDef)}
    assert function in defined, f"{implementation.name} does not define {function}"
    assert (SDK / f"{subfolder}{short}.py").is_file(), f"{rpc}: no author wrapper reglet_sdk/{subfolder}{short}.py"
    # One test file per host function (test_fs_read.py), or per module when it holds one (test_exec.py).
    own, shared = (REPO / "tests" / "unit" / "host" / f"test_{name}.py" for name in (function, short))
    assert own.is_file() or shared.is_file(), f"{rpc}: no tests at {own.relative_to(REPO)}"


def test_proto_error_details_are_never_called_plain_error_detail_outside_generated_code() -> None:
    # reglet_sdk.ErrorDetail is the author's dataclass; the proto message is always ErrorDetailMessage.
    offenders = []
    for path in sorted(SDK.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reglet_abi"):
                offenders += [
                    f"{path.relative_to(REPO)}:{node.lineno}"
                    for alias in node.names
                    if alias.name == "ErrorDetail" and alias.asname != "ErrorDetailMessage"
                ]
    assert offenders == []
