"""The language-neutral host conformance suite (conformance/cases), run against the Python host.

Each case runs the host's neutral surface, the `reglet-sdk` command line (`describe`, `schema`,
`check --format json`), against the servers of `python -m conformance.serve`, and is judged by
conformance.runner. The round-trip case drives examples/abi_roundtrip through wasmtime frame by
frame and compares every frame with the exported vectors byte for byte. The Node host runs the same
cases (conformance/runners/node).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

from conformance import export_vectors
from conformance.build import build_one, cache_root
from conformance.cases import ROOT, SCHEMA_PATH, Case, load_cases
from conformance.match import mismatches
from conformance.runner import Outcome, Servers, cli_arguments, problems, process_limit, report, serve
from reglet_abi._rpc import decode_frame
from reglet_abi.reglet.v1 import services
from reglet_sdk.host.compile_cache import CompileCache

pytestmark = pytest.mark.component

CASES = load_cases()
REGLET_SDK = Path(sys.executable).parent / "reglet-sdk"


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with serve() as running:
        yield running


@pytest.fixture(scope="session")
def components() -> dict[Path, Path]:
    return {}


def component(components: dict[Path, Path], case: Case) -> Path:
    """The case's plugin, built once per session (and once per source hash across sessions)."""
    if case.plugin_dir not in components:
        components[case.plugin_dir] = build_one(case.plugin_dir)
    return components[case.plugin_dir]


def run_python_host(case: Case, wasm: Path, servers: Servers, tmp_path: Path) -> Outcome:
    """Runs `reglet-sdk CALL ...` for the case, with no stored grants and no terminal."""
    arguments = cli_arguments(case, wasm, servers.placeholders)
    if case.call in ("describe", "check"):
        arguments += ["--format", "json"]
    env = {
        **os.environ,
        "REGLET_GRANTS_STORE": str(tmp_path / "no-grants.yaml"),
        "REGLET_CACHE_DIR": str(cache_root()),
    }
    before = servers.connections()
    started = time.monotonic()
    result = subprocess.run(
        [str(REGLET_SDK), *arguments],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=process_limit(case),
        check=False,
    )
    seconds = time.monotonic() - started
    after = servers.connections()
    connections = {name: after[name] - before.get(name, 0) for name in after}
    return Outcome(result.returncode, result.stdout, result.stderr, seconds, connections)


def _params(cases: list[Case]) -> list[Any]:
    """One parameter per case; a case with a known bug of this host must fail (strict xfail)."""
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=case.known_bugs["python"])]
            if "python" in case.known_bugs
            else [],
        )
        for case in cases
    ]


@pytest.mark.parametrize("case", _params([c for c in CASES if c.call != "roundtrip"]))
def test_case(case: Case, servers: Servers, components: dict[Path, Path], tmp_path: Path) -> None:
    outcome = run_python_host(case, component(components, case), servers, tmp_path)
    found = problems(case, outcome, servers.placeholders)
    assert not found, report(case, outcome, found)


# --- the ABI round trip, frame by frame --------------------------------------------------------------


class FrameRecorder:
    """The Host interface at the frame level: records each frame and answers with the vector's."""

    def __init__(self, vectors: Path) -> None:
        self.received: dict[str, list[str]] = {}
        self.vectors = vectors

    def link(self, linker: Linker) -> None:
        with linker.root() as root, root.add_instance(services.HOST.wit_interface) as interface:
            for method in services.HOST.methods:
                interface.add_func(method.wit_name, self._answer(method.wit_name))

    def _answer(self, wit_name: str) -> Any:
        answer = (self.vectors / f"host.{wit_name}.response.b64").read_text(encoding="ascii")

        def handle(_store: Any, frame: str) -> str:
            self.received.setdefault(wit_name, []).append(frame)
            return answer

        return handle


def call_export(engine: Engine, component_: Component, recorder: FrameRecorder, wit_name: str, frame: str) -> str:
    """Calls one Plugin export with a raw frame in a fresh instance; returns the raw answer."""
    linker = Linker(engine)
    linker.add_wasip2()
    recorder.link(linker)
    store = Store(engine)
    wasi = WasiConfig()
    wasi.env = [("ROUNDTRIP_MODE", "exact")]
    store.set_wasi(wasi)
    instance = linker.instantiate(store, component_)
    interface = instance.get_export_index(store, services.PLUGIN.wit_interface)
    index = instance.get_export_index(store, wit_name, interface)
    assert index is not None, f"the component lacks {services.PLUGIN.wit_interface}#{wit_name}"
    func = instance.get_func(store, index)
    assert func is not None
    answer = func(store, frame)
    func.post_return(store)
    assert isinstance(answer, str)
    return answer


def roundtrip_problems(case: Case, wasm: Path) -> list[str]:
    """Every frame that differs from the vectors, in either direction."""
    vectors = ROOT / case.vectors
    engine = Engine()
    component_, _ = CompileCache(cache_root() / "compiled", "plain-engine").load(engine, wasm.read_bytes())
    found = []
    for method in services.PLUGIN.methods:
        recorder = FrameRecorder(vectors)
        request = (vectors / f"plugin.{method.wit_name}.request.b64").read_text(encoding="ascii")
        expected = (vectors / f"plugin.{method.wit_name}.response.b64").read_text(encoding="ascii")
        answer = call_export(engine, component_, recorder, method.wit_name, request)
        if answer != expected:
            found.append(f"Plugin.{method.name}: the answer differs from the vector: {_describe_frame(method, answer)}")
        for host_method in services.HOST.methods:
            sent = recorder.received.get(host_method.wit_name, [])
            wanted = (vectors / f"host.{host_method.wit_name}.request.b64").read_text(encoding="ascii")
            if sent != [wanted]:
                found.append(
                    f"Plugin.{method.name}: Host.{host_method.name} received {len(sent)} frame(s), not the vector"
                )
    return found


def _describe_frame(method: Any, frame: str) -> str:
    try:
        response = method.response_type.parse(decode_frame(frame))
    except ValueError as exc:
        return f"not a frame ({exc})"
    error = getattr(response, "error", None)
    return f"guest error {error.type}: {error.message}" if error else repr(response)[:500]


@pytest.mark.parametrize("case", _params([c for c in CASES if c.call == "roundtrip"]))
def test_roundtrip_case(case: Case, components: dict[Path, Path]) -> None:
    found = roundtrip_problems(case, component(components, case))
    assert not found, "\n".join(found)


# --- the suite's own files -----------------------------------------------------------------------------


def test_vectors_are_up_to_date() -> None:
    stale = export_vectors.stale()
    assert not stale, f"conformance/vectors is stale ({', '.join(stale)}); run `make vectors` and commit the result"


@pytest.mark.parametrize("method", [m for s in services.SERVICES for m in s.methods], ids=lambda m: m.name)
def test_vector_files_agree_with_each_other(method: Any) -> None:
    vectors = export_vectors.VECTORS_DIR
    service = method.service.rsplit(".", 1)[-1].lower()
    for part, cls in (("request", method.request_type), ("response", method.response_type)):
        stem = vectors / f"{service}.{method.wit_name}.{part}"
        binary = Path(f"{stem}.bin").read_bytes()
        assert decode_frame(Path(f"{stem}.b64").read_text(encoding="ascii")) == binary
        assert bytes(cls.parse(binary)) == binary
        assert bytes(cls.from_dict(json.loads(Path(f"{stem}.json").read_text(encoding="utf-8")))) == binary


def test_every_case_file_is_valid_and_the_suite_covers_every_host_function() -> None:
    calls = {c.config.get("call") for c in CASES if c.plugin == "conformance/plugins/probe"}
    assert calls >= {m.python_name for m in services.HOST.methods}
    assert {c.call for c in CASES} == {"describe", "schema", "check", "roundtrip"}


MATCHER_EXAMPLES = yaml.safe_load((ROOT / "conformance" / "matchers.yaml").read_text(encoding="utf-8"))["examples"]


@pytest.mark.parametrize("example", MATCHER_EXAMPLES, ids=lambda e: json.dumps(e["expected"], sort_keys=True))
def test_matcher_gives_the_shared_verdicts(example: dict[str, Any]) -> None:
    # The same examples run against the Node runner's matcher (conformance/runners/node/match.mjs).
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(example["expected"], {"$defs": schema["$defs"], "$ref": "#/$defs/matcher"})
    found = mismatches(example["expected"], example["actual"])
    assert (not found) == example["matches"], found
