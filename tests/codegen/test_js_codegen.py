"""The JavaScript output (generated/js/): protoc-gen-es messages and rpc tables, covered by --check."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reglet_abi.reglet.v1 import services
from reglet_codegen.driver import tree
from reglet_codegen.naming import lower_camel
from tests.codegen.test_codegen import codegen_main, copy_project
from tests.conftest import REPO

NODE_HOST = REPO / "hosts" / "node"
JS = REPO / "generated" / "js"

TABLES_SCRIPT = """
const tables = await import(process.argv[1]);
const out = tables.SERVICES.map((s) => ({
  name: s.name, fullName: s.fullName, witInterface: s.witInterface, jcoImportName: s.jcoImportName,
  exported: s.exported,
  methods: s.methods.map((m) => [m.name, m.witName, m.jsName, m.requestSchema.typeName, m.responseSchema.typeName]),
}));
console.log(JSON.stringify({ package: tables.WIT_PACKAGE, world: tables.WIT_WORLD, services: out }));
"""


def test_generated_js_has_messages_tables_and_module_marker() -> None:
    files = tree(JS)
    protos = sorted(p.relative_to(REPO / "proto").as_posix() for p in (REPO / "proto").rglob("*.proto"))
    for proto in protos:
        stem = proto.removesuffix(".proto")
        assert f"{stem}_pb.js" in files and f"{stem}_pb.d.ts" in files, proto
    assert "reglet/v1/services.js" in files and "reglet/v1/services.d.ts" in files
    package = json.loads(files["package.json"])
    assert package["type"] == "module"
    # The lockfile beside it pins exactly what package.json asks for: nothing (its one import,
    # @bufbuild/protobuf, resolves from hosts/node's locked node_modules through the resolve hook).
    lock = json.loads(files["package-lock.json"])
    assert "dependencies" not in package and "devDependencies" not in package
    assert lock["lockfileVersion"] == 3 and lock["packages"] == {"": {"name": package["name"]}}
    head = files["reglet/v1/exec_pb.js"].decode().splitlines()[:5]
    assert "DO NOT EDIT" in head[1] and "proto/reglet/v1/exec.proto" in head[0]


def test_check_codegen_fails_after_a_hand_edit_of_generated_js(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = copy_project(tmp_path)
    edited = tmp_path / "generated" / "js" / "reglet" / "v1" / "exec_pb.js"
    edited.write_text(edited.read_text().replace("ExecRequest", "ExecRequestX", 1))
    tables = tmp_path / "generated" / "js" / "reglet" / "v1" / "services.js"
    tables.write_text(tables.read_text().replace('"exec-command"', '"exec-cmd"'))

    assert codegen_main(pyproject, "--check") == 1
    err = capsys.readouterr().err
    assert "differs: js/reglet/v1/exec_pb.js" in err
    assert "differs: js/reglet/v1/services.js" in err


def test_check_codegen_fails_when_generated_js_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = copy_project(tmp_path)
    shutil.rmtree(tmp_path / "generated" / "js")
    assert codegen_main(pyproject, "--check") == 1
    assert "missing: js/reglet/v1/services.js" in capsys.readouterr().err


def test_js_rpc_tables_name_what_the_python_tables_name() -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed for the Node host (see README)"
    completed = subprocess.run(
        [
            node,
            "--import",
            "./src/abi/register.mjs",
            "--input-type=module",
            "-e",
            TABLES_SCRIPT,
            "--",
            (JS / "reglet" / "v1" / "services.js").as_uri(),
        ],
        cwd=NODE_HOST,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    tables = json.loads(completed.stdout)
    assert tables["package"] == services.WIT_PACKAGE and tables["world"] == services.WIT_WORLD
    expected = [
        {
            "name": s.name,
            "fullName": s.full_name,
            "witInterface": s.wit_interface,
            "jcoImportName": s.wit_interface.partition("@")[0],
            "exported": s.exported,
            "methods": [
                [
                    m.name,
                    m.wit_name,
                    lower_camel(m.wit_name),
                    f"reglet.v1.{m.request_type.__name__}",
                    f"reglet.v1.{m.response_type.__name__}",
                ]
                for m in s.methods
            ],
        }
        for s in services.SERVICES
    ]
    assert tables["services"] == expected


@pytest.mark.parametrize(
    ("wit", "js"), [("exec-command", "execCommand"), ("get-url-info", "getUrlInfo"), ("log", "log")]
)
def test_lower_camel_is_jcos_name_for_a_wit_function(wit: str, js: str) -> None:
    assert lower_camel(wit) == js
