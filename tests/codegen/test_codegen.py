"""The generator: golden output for a fixture proto, every input error, and the staleness check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reglet_codegen.driver import CodegenFailed, differences, run_protoc, tree
from reglet_sdk.cli import main as cli_main
from tests.conftest import REPO

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
FIXTURE_PARAMETERS = ",".join(
    [
        "wit_package=fixture:echo@1.2.3",
        "python_package=fixture_gen",
        "runtime_package=reglet_abi",
        "world=echo-world",
        "exports=Probe",
        "proto_root=fixtures/ok",
    ]
)


def generate_fixture(out: Path) -> dict[str, bytes]:
    run_protoc(
        [FIXTURES / "ok", REPO / "proto"],
        ["fixture/v1/echo.proto"],
        reglet_out=out,
        reglet_parameters=FIXTURE_PARAMETERS,
        betterproto_out=None,
    )
    return tree(out)


def test_fixture_output_matches_golden_files(tmp_path: Path) -> None:
    actual = generate_fixture(tmp_path)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(tmp_path, GOLDEN)
    assert sorted(actual) == [
        "python/fixture_gen/fixture/v1/guest.py",
        "python/fixture_gen/fixture/v1/host.py",
        "python/fixture_gen/fixture/v1/services.py",
        "wit/fixture-echo.wit",
    ]
    assert differences(tree(GOLDEN), actual) == [], "run UPDATE_GOLDEN=1 pytest tests/codegen to accept"


def test_golden_wit_is_valid_wit_with_escaped_keyword(tmp_path: Path) -> None:
    wit = (GOLDEN / "wit" / "fixture-echo.wit").read_text()
    assert "%record: func(request: string) -> string;" in wit
    assert "get-url-info: func" in wit
    assert "import echo;" in wit and "export probe;" in wit
    # componentize-py parses the package and generates bindings from it.
    componentize = Path(sys.executable).parent / "componentize-py"
    result = subprocess.run(
        [str(componentize), "-d", str(GOLDEN / "wit"), "-w", "echo-world", "bindings", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wit_world" / "imports" / "echo.py").exists()


def test_rpc_tables_are_the_proto_descriptor(tmp_path: Path) -> None:
    from google.protobuf import descriptor_pb2

    from reglet_abi.reglet.v1 import services

    descriptor_set = tmp_path / "abi.pb"
    protos = sorted(p.relative_to(REPO / "proto").as_posix() for p in (REPO / "proto").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{REPO / 'proto'}",
            f"--descriptor_set_out={descriptor_set}",
            *protos,
        ],
        check=True,
    )
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes()).file
    from_proto = {
        f"{f.package}.{s.name}": [(m.name, m.input_type, m.output_type) for m in s.method]
        for f in files
        for s in f.service
    }
    from_tables = {
        s.full_name: [
            (m.name, f".reglet.v1.{m.request_type.__name__}", f".reglet.v1.{m.response_type.__name__}")
            for m in s.methods
        ]
        for s in services.SERVICES
    }
    assert from_tables == from_proto
    assert [s.exported for s in services.SERVICES] == [name == "Plugin" for name in (s.name for s in services.SERVICES)]


def test_golden_stubs_escape_python_keywords() -> None:
    guest = (GOLDEN / "python" / "fixture_gen" / "fixture" / "v1" / "guest.py").read_text()
    assert "def import_(self, request: SayRequest) -> SayResponse:" in guest
    assert "def get_url_info(self, request: SayRequest) -> SayResponse:" in guest


def test_every_generated_file_says_it_is_generated() -> None:
    for root in (GOLDEN, REPO / "generated"):
        for path, content in tree(root).items():
            head = content.decode("utf-8").splitlines()[:3]
            assert any("DO NOT EDIT" in line for line in head), f"{root.name}/{path} has no generated-file header"
            if root == REPO / "generated" and path.endswith((".py", ".wit")) and "betterproto2" not in path:
                assert any("proto" in line for line in head), f"{path} does not name its source"


@pytest.mark.parametrize(
    ("fixture", "line", "phrase"),
    [
        ("missing_error.proto", 8, "which has no `reglet.v1.ErrorDetail error` field"),
        ("streaming.proto", 10, "is streaming"),
        ("collision.proto", 11, "becomes WIT function 'get-url', the same name as rpc Host.GetURL"),
        ("bad_identifier.proto", 10, "becomes 'sha2-256' in WIT, which is not a valid WIT identifier"),
        ("nested.proto", 12, "is a nested message"),
    ],
)
def test_invalid_input_is_a_codegen_error_naming_the_proto_line(
    tmp_path: Path, fixture: str, line: int, phrase: str
) -> None:
    with pytest.raises(CodegenFailed) as failure:
        run_protoc(
            [FIXTURES / "errors", REPO / "proto"],
            [fixture],
            reglet_out=tmp_path,
            reglet_parameters="wit_package=errors:test@0.1.0,python_package=errors_gen,world=w,proto_root=errors",
            betterproto_out=None,
        )
    message = str(failure.value)
    assert f"errors/{fixture}:{line}:" in message
    assert phrase in message


def copy_project(target: Path) -> Path:
    for name in ("proto", "generated"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    return target / "pyproject.toml"


def codegen_main(config: Path, *options: str) -> int:
    return cli_main(["codegen", "--config", str(config), *options])


def test_check_codegen_passes_on_a_clean_checkout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert codegen_main(copy_project(tmp_path), "--check") == 0
    assert "up to date" in capsys.readouterr().out


def test_check_codegen_fails_after_a_hand_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = copy_project(tmp_path)
    edited = tmp_path / "generated" / "python" / "reglet_abi" / "reglet" / "v1" / "guest.py"
    edited.write_text(edited.read_text() + "\n# a hand edit\n")
    stray = tmp_path / "generated" / "wit" / "extra.wit"
    stray.write_text("// not generated\n")

    assert codegen_main(pyproject, "--check") == 1
    err = capsys.readouterr().err
    assert "differs: python/reglet_abi/reglet/v1/guest.py" in err
    assert "not generated (stray or renamed): wit/extra.wit" in err
    assert f"reglet-sdk codegen --config {pyproject}" in err


def test_codegen_regenerates_byte_identically(tmp_path: Path) -> None:
    pyproject = copy_project(tmp_path)
    shutil.rmtree(tmp_path / "generated")
    assert codegen_main(pyproject) == 0
    assert differences(tree(REPO / "generated"), tree(tmp_path / "generated")) == []


def test_an_extension_generates_the_same_bytes_outside_the_checkout(extension: Path) -> None:
    # codegen.toml names no include_dirs: the SDK's reglet/v1 protos come from the SDK itself.
    shutil.rmtree(extension / "generated")
    assert codegen_main(extension / "codegen.toml") == 0
    assert differences(tree(REPO / "examples" / "host_runtime" / "generated"), tree(extension / "generated")) == []


@pytest.mark.parametrize(
    ("config_text", "message"),
    [
        (None, "cannot read the codegen config"),
        ("[tool.reglet-codegen\n", "is not valid TOML"),
        ("[project]\nname = 'x'\n", "has no [tool.reglet-codegen] table"),
        (
            "[tool.reglet-codegen]\nproto_dir = 'proto'\nout_dir = 'generated'\nworld = 'w'\npython_pkg = 'x'\n",
            "has missing key(s) wit_package, python_package; unknown key(s) python_pkg",
        ),
        (
            "[tool.reglet-codegen]\nproto_dir = 'proto'\nout_dir = '.'\nwit_package = 'a:b@1.0.0'\n"
            "python_package = 'b'\nworld = 'w'\n",
            "Give generated files a folder of their own",
        ),
        (
            "[tool.reglet-codegen]\nproto_dir = 'proto'\nout_dir = 'generated'\nwit_package = 'a:b@1.0.0'\n"
            "python_package = 'b'\nworld = 'w'\nexports = 'Plugin'\n",
            "exports must be a list of strings, not 'Plugin'",
        ),
    ],
)
def test_a_bad_config_is_exit_2_with_one_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config_text: str | None, message: str
) -> None:
    config = tmp_path / "codegen.toml"
    if config_text is not None:
        config.write_text(config_text)
    assert codegen_main(config) == 2
    err = capsys.readouterr().err
    assert err.startswith("reglet-sdk codegen: ") and message in err
    assert "Traceback" not in err


def test_a_bad_proto_is_exit_2_naming_the_file_and_line(extension: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "errors" / "streaming.proto", extension / "proto" / "streaming.proto")
    assert codegen_main(extension / "codegen.toml", "--check") == 2
    err = capsys.readouterr().err
    assert "proto/streaming.proto:10:" in err and "is streaming" in err
