"""`reglet-sdk build` failures: each a clear one-paragraph message, no traceback."""

from __future__ import annotations

import io
import shutil
import stat
import textwrap
from pathlib import Path

import pytest

from reglet_sdk.cli import main
from reglet_sdk.host import Host, HostConfig, PluginLoadError
from reglet_sdk.host.compile_cache import precompile
from tests.conftest import REPO_EXAMPLES

GOOD_YAML = "name: broken\nversion: 1.0.0\n"
GOOD_PLUGIN = textwrap.dedent(
    """
    from reglet_sdk import Metadata, Result, plugin

    class Broken(plugin.Plugin):
        def describe(self, ctx):
            return Metadata(name="broken", version="1.0.0")

        def schema(self, ctx):
            return b"{}"

        def check(self, ctx, cfg):
            return Result.success("ok")
    """
)


def build(folder: Path, tmp_path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", str(folder), "-o", str(tmp_path / "out.wasm"), "--no-cache"], out, err)
    return code, out.getvalue(), err.getvalue()


def plugin_dir(
    tmp_path: Path, plugin_py: str | None = GOOD_PLUGIN + "\nplugin.register(Broken())\n", yaml: str | None = GOOD_YAML
) -> Path:
    folder = tmp_path / "broken"
    folder.mkdir()
    if plugin_py is not None:
        (folder / "plugin.py").write_text(plugin_py)
    if yaml is not None:
        (folder / "plugin.yaml").write_text(yaml)
    return folder


def test_no_plugin_py(tmp_path: Path) -> None:
    code, _, err = build(plugin_dir(tmp_path, plugin_py=None), tmp_path)
    assert code == 2
    assert "has no plugin.py" in err and "Traceback" not in err


def test_no_plugin_yaml(tmp_path: Path) -> None:
    code, _, err = build(plugin_dir(tmp_path, yaml=None), tmp_path)
    assert code == 2 and "has no plugin.yaml" in err


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    code, _, err = build(plugin_dir(tmp_path, plugin_py="x = 1\ndef broken(:\n    pass\n"), tmp_path)
    assert code == 2
    assert "plugin.py:2:" in err and "syntax error" in err


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("name: broken\nversion: 1.0.0\ncolour: blue\n", "plugin.yaml:3: colour: unknown key"),
        ("name: broken\n", "missing required key(s): version"),
        ("name: Broken Plugin\nversion: 1.0.0\n", "name: 'Broken Plugin' must be lower-case"),
        (
            "name: broken\nversion: 1.0.0\ncapabilities:\n  network:\n    rules:\n      - hosts: [a.com]\n        ports: ['70000']\n",
            "plugin.yaml:7: capabilities.network.rules[0].ports[0]: '70000' is not a port",
        ),
        ("name: broken\nversion: [1\n", "not valid YAML"),
    ],
    ids=["unknown-key", "missing-version", "bad-name", "bad-port", "bad-yaml"],
)
def test_invalid_plugin_yaml_names_line_and_key(tmp_path: Path, yaml: str, message: str) -> None:
    code, _, err = build(plugin_dir(tmp_path, yaml=yaml), tmp_path)
    assert code == 2
    assert message in err


def test_import_that_is_not_installed(tmp_path: Path) -> None:
    code, _, err = build(
        plugin_dir(tmp_path, plugin_py="import definitely_not_installed_anywhere\n" + GOOD_PLUGIN), tmp_path
    )
    assert code == 2
    assert "plugin.py:1 imports 'definitely_not_installed_anywhere', which is not installed" in err


def test_import_of_compiled_code_cannot_be_bundled(tmp_path: Path) -> None:
    code, _, err = build(plugin_dir(tmp_path, plugin_py="import wasmtime\n" + GOOD_PLUGIN), tmp_path)
    assert code == 2
    assert "imports 'wasmtime', which contains compiled code" in err


@pytest.mark.component
def test_plugin_that_never_registers(tmp_path: Path) -> None:
    code, _, err = build(plugin_dir(tmp_path, plugin_py=GOOD_PLUGIN), tmp_path)
    assert code == 2
    assert "plugin.py never called reglet_sdk.plugin.register(...)" in err
    assert "Traceback" not in err


@pytest.mark.component
def test_second_register_is_a_build_error(tmp_path: Path) -> None:
    source = GOOD_PLUGIN + "\nplugin.register(Broken())\nplugin.register(Broken())\n"
    code, _, err = build(plugin_dir(tmp_path, plugin_py=source), tmp_path)
    assert code == 2
    assert "RegistrationError" in err and "register() was called a second time" in err


@pytest.mark.component
def test_build_succeeds_and_reports_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGLET_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "hello"
    shutil.copytree(REPO_EXAMPLES / "hello", folder, ignore=shutil.ignore_patterns("*.wasm", "__pycache__"))
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", str(folder), "--no-cache"], out, err)
    assert code == 0, err.getvalue()
    assert (folder / "hello.wasm").stat().st_size > 1 << 20
    assert out.getvalue().startswith(f"built {folder / 'hello.wasm'}")
    assert "building" in err.getvalue()  # the progress indication
    assert f"compiled it into {tmp_path / 'cache' / 'compiled'}" in out.getvalue()


@pytest.mark.component
def test_the_first_check_after_a_build_is_a_cached_load(hello_wasm: Path, tmp_path: Path) -> None:
    """The build's precompile fills the host's cache; a compiled file shipped beside a plugin is never run."""
    cache = tmp_path / "compiled"
    assert precompile(hello_wasm, cache) is True
    assert precompile(hello_wasm, cache) is False  # already there: nothing compiled
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    with Host(HostConfig(cache_dir=cache)) as host:
        assert host.load(hello_wasm).from_cache
        shipped = tmp_path / "hello.cwasm"
        shipped.write_bytes(next(cache.glob("*.cwasm")).read_bytes())  # a valid compiled form, as an author could ship
        with pytest.raises(PluginLoadError, match="is not a WebAssembly file"):
            host.load(shipped)


@pytest.mark.component
def test_describe_that_disagrees_with_plugin_yaml_is_a_build_error(tmp_path: Path) -> None:
    source = GOOD_PLUGIN.replace('name="broken"', 'name="other"') + "\nplugin.register(Broken())\n"
    code, _, err = build(plugin_dir(tmp_path, plugin_py=source), tmp_path)
    assert code == 2
    assert "describe() says other 1.0.0 but plugin.yaml says broken 1.0.0" in err


@pytest.mark.component
def test_exception_at_import_names_the_line(tmp_path: Path) -> None:
    source = GOOD_PLUGIN + "\nplugin.register(Broken())\nraise RuntimeError('boom at import')\n"
    code, _, err = build(plugin_dir(tmp_path, plugin_py=source), tmp_path)
    assert code == 2
    assert "plugin.py raised RuntimeError while it was imported at build time" in err
    assert "boom at import" in err and 'plugin.py", line' in err
