"""The plugin lifecycle on built components in the wasmtime host: describe, schema, check, limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin, PluginLoadError, PluginLogRecord
from tests.conftest import COMPILE_CACHE, TEST_PLUGINS, build_test_plugin

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def records() -> list[PluginLogRecord]:
    return []


@pytest.fixture(scope="module")
def host(records: list[PluginLogRecord]) -> Iterator[Host]:
    with Host(HostConfig(timeout=3.0, cache_dir=COMPILE_CACHE, on_log=records.append)) as host:
        yield host


@pytest.fixture(scope="module")
def hello(host: Host, hello_wasm: Path) -> LoadedPlugin:
    return host.load(hello_wasm)


@pytest.fixture(scope="module")
def misbehaving(host: Host, misbehaving_wasm: Path) -> LoadedPlugin:
    return host.load(misbehaving_wasm)


def test_describe_reports_metadata_schema_and_versions(hello: LoadedPlugin) -> None:
    info = hello.describe()
    assert (info.name, info.version) == ("hello", "1.0.0")
    assert info.description == "Greets someone and reports what it was told."
    assert (info.sdk_version, info.abi_version, info.min_host_version) == ("0.1.0", "0.1.0", "0.1.0")
    assert info.config_schema is not None
    assert info.config_schema["required"] == ["name"]


def test_schema_is_json_schema_2020_12_of_the_config(hello: LoadedPlugin) -> None:
    schema = hello.schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["greeting"] == {
        "enum": ["hello", "hi", "good day"],
        "description": "The word used.",
        "default": "hello",
    }
    assert schema["properties"]["times"]["minimum"] == 1


def test_check_success_failure_and_config_error(hello: LoadedPlugin) -> None:
    ok = hello.check({"name": "Ada", "times": 2})
    assert ok.status == "success"
    assert ok.data["greeting"] == "Hello, Ada! Hello, Ada!"
    assert ok.data["length"] == 23
    assert ok.metadata is not None and ok.metadata.plugin_name == "hello" and ok.metadata.sdk_version == "0.1.0"
    assert ok.data["request_id"] == ok.metadata.request_id != ""
    assert ok.timestamp is not None and ok.metadata.start_time is not None and ok.metadata.end_time is not None
    assert ok.metadata.start_time <= ok.metadata.end_time == ok.timestamp

    failed = hello.check({"name": "ada", "require_name_capitalised": True})
    assert failed.status == "failure"

    bad = hello.check({"nme": "Ada"})
    assert bad.status == "error"
    assert bad.error is not None and (bad.error.type, bad.error.code) == ("config", "nme")
    assert "did you mean 'name'" in bad.error.message


def test_data_crosses_exactly(misbehaving: LoadedPlugin) -> None:
    result = misbehaving.check({"mode": "ok"})
    assert result.data == {
        "big": 2**70,
        "neg": -(2**63),
        "float": 1.0,
        "nested": {"list": [1, None, True, "x"]},
        "empty": {},
    }
    assert type(result.data["float"]) is float and type(result.data["big"]) is int


def test_exception_is_an_error_result_with_the_authors_file_and_line(misbehaving: LoadedPlugin) -> None:
    result = misbehaving.check({"mode": "raise"})
    assert result.status == "error"
    assert result.error is not None
    assert (result.error.type, result.error.code) == ("panic", "PANIC")
    assert "ZeroDivisionError" in result.error.message
    line = next(
        i
        for i, text in enumerate((TEST_PLUGINS / "misbehaving" / "plugin.py").read_text().splitlines(), 1)
        if "value // 0" in text
    )
    assert f'plugin.py", line {line}, in explode' in result.error.stack


def test_wrong_return_type_is_an_internal_error_saying_what_was_returned(misbehaving: LoadedPlugin) -> None:
    result = misbehaving.check({"mode": "wrong-type"})
    assert result.error is not None and (result.error.type, result.error.code) == ("internal", "BAD_RETURN")
    assert "check() returned dict" in result.error.message and "not reglet_sdk.Result" in result.error.message


def test_non_json_data_is_an_internal_error(misbehaving: LoadedPlugin) -> None:
    result = misbehaving.check({"mode": "bad-data"})
    assert result.error is not None and result.error.code == "BAD_DATA"
    assert "data['when'] is a object" in result.error.message


def test_busy_loop_is_stopped_within_timeout_plus_one_second_and_host_keeps_working(
    misbehaving: LoadedPlugin,
) -> None:
    started = time.monotonic()
    result = misbehaving.check({"mode": "loop"}, timeout=2.0)
    elapsed = time.monotonic() - started
    assert result.status == "error"
    assert result.error is not None and result.error.type == "timeout" and result.error.is_timeout
    assert elapsed < 2.0 + 1.0
    assert misbehaving.check({"mode": "ok"}).status == "success"


def test_memory_bomb_is_stopped_at_the_limit_and_host_keeps_working(misbehaving: LoadedPlugin) -> None:
    result = misbehaving.check({"mode": "bomb"})
    assert result.status == "error"
    assert result.error is not None and result.error.type == "memory", result.error
    assert misbehaving.check({"mode": "ok"}).status == "success"


def test_each_call_gets_a_fresh_sandbox(misbehaving: LoadedPlugin) -> None:
    assert [misbehaving.check({"mode": "state"}).data["calls"] for _ in range(3)] == [1, 1, 1]


def test_log_records_arrive_with_level_message_attributes_and_request_id(
    misbehaving: LoadedPlugin, records: list[PluginLogRecord]
) -> None:
    records.clear()
    result = misbehaving.check({"mode": "log"})
    assert result.status == "success" and result.metadata is not None
    assert [(r.level, r.message) for r in records] == [
        ("INFO", "checked thing"),
        ("WARNING", "careful"),
        ("ERROR", "it failed"),
    ]
    info = records[0]
    assert info.attributes == {"port": 443, "ratio": 0.5, "secure": True, "tags": ["a", "b"]}
    assert type(info.attributes["port"]) is int
    assert info.plugin == "misbehaving" and info.logger == "misbehaving"
    assert info.request_id == result.metadata.request_id
    assert info.timestamp is not None
    assert "KeyError: 'missing'" in records[2].attributes["exception"]


def test_guest_stdout_and_stderr_go_to_the_host_log(
    misbehaving: LoadedPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="reglet.plugin.misbehaving"):
        misbehaving.check({"mode": "print"})
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "reglet.plugin.misbehaving"]
    assert ("INFO", "stdout: hello from print") in lines
    assert ("WARNING", "stderr: to stderr") in lines


def test_host_functions_answer_capability_denied_and_do_nothing(misbehaving: LoadedPlugin) -> None:
    marker = Path("/tmp/never")
    marker.unlink(missing_ok=True)
    result = misbehaving.check({"mode": "exec"})
    assert result.data == {"type": "capability", "code": "exec:/usr/bin/touch"}
    assert not marker.exists()


def test_a_module_imported_only_inside_a_function_is_there_at_run_time(misbehaving: LoadedPlugin) -> None:
    # A component has no filesystem to import from at run time; the build preloads every import.
    assert misbehaving.check({"mode": "lazy-import"}).data == {"half": "1/2"}


def test_pure_python_dependency_is_bundled(misbehaving: LoadedPlugin) -> None:
    assert misbehaving.check({"mode": "dependency"}).data == {"newer": True}


def test_second_load_is_served_from_the_compilation_cache(tmp_path: Path, hello_wasm: Path) -> None:
    with Host(HostConfig(cache_dir=tmp_path)) as first:
        assert first.load(hello_wasm).from_cache is False
        assert first.compile_cache is not None and first.compile_cache.misses == 1
    with Host(HostConfig(cache_dir=tmp_path)) as second:
        plugin = second.load(hello_wasm)
        assert plugin.from_cache is True
        assert second.compile_cache is not None and (second.compile_cache.hits, second.compile_cache.misses) == (1, 0)
        assert plugin.check({"name": "Ada"}).status == "success"


def test_refuses_a_plugin_that_needs_a_newer_host(host: Host) -> None:
    with pytest.raises(
        PluginLoadError, match=r"future 1.0.0 needs a host of version 99.0.0 or newer, but this host is version 0.1.0"
    ):
        host.load(build_test_plugin(TEST_PLUGINS / "future"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not wasm", "is not a WebAssembly file"),
        (b"\0asm\x01\x00\x00\x00", "is a core WebAssembly module, not a component"),
        (
            b"\0asm\x0d\x00\x01\x00",
            "is a WebAssembly component but not a Reglet plugin: it does not export reglet:abi/plugin@0.1.0",
        ),
        (b"\0asm\x0d\x00\x01\x00garbage", "is not a valid WebAssembly component"),
    ],
    ids=["not-wasm", "core-module", "no-plugin-export", "corrupt"],
)
def test_refuses_files_that_are_not_plugins(host: Host, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "thing.wasm"
    path.write_bytes(content)
    with pytest.raises(PluginLoadError, match=message):
        host.load(path)
