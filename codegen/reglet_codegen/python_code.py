"""Renders the Python modules generated next to the betterproto2 messages of a proto package.

For each proto package that defines services:
- `services.py`: the rpc tables (names and message classes of every rpc), shared by both sides;
- `guest.py`: typed stubs over the WIT imports and the adapters componentize-py calls for exports;
- `host.py`: typed handler protocols, linker registration and typed clients for the exports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from reglet_codegen.model import Method, Package, Service
from reglet_codegen.naming import python_identifier, snake


def module_dir(package: Package, proto_package: str) -> str:
    """Output folder of a proto package's modules, e.g. "python/reglet_abi/reglet/v1"."""
    return "/".join(["python", package.options.python_package, *proto_package.split(".")])


def _docstring(text: str, indent: str) -> list[str]:
    text = (text or "").replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    if not text:
        return []
    lines = text.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    body = [f"{indent}{line}".rstrip() for line in lines[1:]]
    return [f'{indent}"""{lines[0]}', *body, f'{indent}"""']


def _header(header: list[str], summary: str) -> list[str]:
    return [
        *(f"# {line}".rstrip() for line in header),
        f'"""{summary}"""',
        "",
        "from __future__ import annotations",
        "",
    ]


def _const(service: Service, method: Method | None = None) -> str:
    base = service.name if method is None else f"{service.name}_{method.name}"
    return snake(base).upper()


def _message_types(method: Method) -> str:
    return f"{method.request.python_class}, {method.response.python_class}"


def _def(method: Method, *, positional_only: bool) -> str:
    """The `def` line of a typed method taking the rpc's request and returning its response."""
    slash = ", /" if positional_only else ""
    request, response = method.request.python_class, method.response.python_class
    return f"    def {method.python_name}(self, request: {request}{slash}) -> {response}:"


def _message_imports(package: Package, services: Iterable[Service]) -> list[str]:
    by_module: dict[str, set[str]] = defaultdict(set)
    for service in services:
        for method in service.methods:
            for ref in (method.request, method.response):
                by_module[ref.python_module].add(ref.python_class)
    lines = []
    for module in sorted(by_module):
        names = sorted(by_module[module])
        lines.append(f"from {module} import (")
        lines += [f"    {name}," for name in names]
        lines.append(")")
    return lines


def _services_import(
    package: Package, proto_package: str, services: Iterable[Service], with_methods: bool
) -> list[str]:
    names: set[str] = set()
    for service in services:
        names.add(_const(service))
        if with_methods:
            names.update(_const(service, m) for m in service.methods)
    module = package.python_module(proto_package) + ".services"
    return [f"from {module} import (", *(f"    {n}," for n in sorted(names)), ")"]


def render_services(package: Package, proto_package: str, services: list[Service], header: list[str]) -> str:
    """The rpc tables module."""
    options = package.options
    lines = _header(header, f"RPC tables of {proto_package}: every function that crosses the WebAssembly boundary.")
    lines += [
        f"from {options.runtime_package}._rpc import RpcMethod, RpcService",
        *_message_imports(package, services),
        "",
    ]
    lines += [
        f"WIT_PACKAGE = {options.wit_package!r}",
        '"""The WIT package the services are compiled to."""',
        "",
        f"WIT_WORLD = {options.world!r}",
        '"""The world a component built against these services targets."""',
        "",
        f"WORLD_MODULE = {options.world_module!r}",
        '"""componentize-py `--world-module`: where a component\'s generated bindings live."""',
        "",
    ]
    for service in services:
        for method in service.methods:
            lines += [
                f"{_const(service, method)}: RpcMethod[{_message_types(method)}] = RpcMethod(",
                f"    service={service.name!r},",
                f"    name={method.name!r},",
                f"    wit_name={method.wit_name!r},",
                f"    python_name={method.python_name!r},",
                f"    request_type={method.request.python_class},",
                f"    response_type={method.response.python_class},",
                f"    doc={method.doc!r},",
                ")",
                "",
            ]
        lines += [
            f"{_const(service)} = RpcService(",
            f"    name={service.name!r},",
            f"    full_name={service.full_name!r},",
            f"    proto_file={service.proto_file!r},",
            f"    wit_interface={package.interface_id(service)!r},",
            f"    binding_module={service.binding_module!r},",
            f"    export_class_name={_pascal(service.binding_module)!r},",
            f"    world_module={options.world_module!r},",
            f"    exported={service.exported!r},",
            f"    methods=({''.join(_const(service, m) + ', ' for m in service.methods).rstrip()}),",
            f"    doc={service.doc!r},",
            ")",
            "",
        ]
    lines += [
        f"SERVICES: tuple[RpcService, ...] = ({''.join(_const(s) + ', ' for s in services).rstrip()})",
        '"""Every service of this package, in proto order."""',
    ]
    return "\n".join(lines) + "\n"


def _pascal(snake_name: str) -> str:
    return "".join(word.capitalize() for word in snake_name.split("_"))


def render_guest(package: Package, proto_package: str, services: list[Service], header: list[str]) -> str:
    """Guest-side stubs (bundled into components; no wasmtime)."""
    options = package.options
    lines = _header(header, f"Guest-side stubs of {proto_package}: typed calls to host services, adapters for exports.")
    lines += ["from typing import Protocol", "", f"from {options.runtime_package} import _rpc"]
    lines += _message_imports(package, services)
    lines += _services_import(package, proto_package, services, with_methods=True)
    for service in services:
        lines += ["", ""]
        if service.exported:
            lines += _guest_export(package, service)
        else:
            lines += _guest_import(package, service)
    return "\n".join(lines).rstrip() + "\n"


def _guest_import(package: Package, service: Service) -> list[str]:
    name = service.name
    const = _const(service)
    lines = [f"class {name}Transport(Protocol):"]
    lines += _docstring(
        f"Carries encoded {name} requests to the host: the WIT import {package.interface_id(service)}\n"
        "inside a component, or any object with these methods natively (fakes, local handlers).",
        "    ",
    )
    for method in service.methods:
        lines += ["", f"    def {method.python_name}(self, request: bytes, /) -> bytes: ..."]
    lines += ["", "", f"class {name}Stub:"]
    lines += _docstring(f"Typed calls to the {name} service.\n\n{service.doc}", "    ")
    lines += [
        "",
        f"    def __init__(self, transport: {name}Transport | None = None) -> None:",
        "        self._transport = transport",
        "",
        "    @property",
        f"    def transport(self) -> {name}Transport:",
        '        """Where calls go: the transport given, else the component\'s WIT import."""',
        "        if self._transport is None:",
        f"            self._transport = _rpc.wit_import({const})",
        "        return self._transport",
        "",
        f"    def use_transport(self, transport: {name}Transport | None) -> None:",
        '        """Sends later calls through `transport` (None: back to the WIT import)."""',
        "        self._transport = transport",
    ]
    for method in service.methods:
        lines += [
            "",
            _def(method, positional_only=False),
        ]
        lines += _docstring(method.doc, "        ")
        lines.append(
            f"        return _rpc.call_remote({_const(service, method)}, self.transport.{method.python_name}, request)"
        )
    var = _snake_service(service)
    lines += [
        "",
        "",
        f"{var} = {name}Stub()",
        f'"""The default {name} stub: the component\'s WIT import (swap it with `{var}.use_transport`)."""',
    ]
    return lines


def _snake_service(service: Service) -> str:
    return python_identifier(snake(service.name))


def _protocol(class_name: str, summary: str, service: Service) -> list[str]:
    """A typing.Protocol with one typed method per rpc of `service`."""
    lines = [f"class {class_name}(Protocol):", *_docstring(f"{summary}\n\n{service.doc}", "    ")]
    for method in service.methods:
        lines += ["", _def(method, positional_only=True), *_docstring(method.doc, "        "), "        ..."]
    return lines


def _guest_export(package: Package, service: Service) -> list[str]:
    name = service.name
    const = _const(service)
    slot = f"{_snake_service(service)}_slot"
    lines = _protocol(f"{name}Service", f"What a guest implements to serve the exported {name} service.", service)
    lines += [
        "",
        "",
        f"{slot}: _rpc.ImplementationSlot[{name}Service] = _rpc.ImplementationSlot({const})",
        f'"""The implementation answering the {name} export (`{slot}.serve(implementation)`)."""',
        "",
        "",
        f"class {name}Export:",
    ]
    lines += _docstring(
        f"The class componentize-py instantiates for the exported {package.interface_id(service)}.\n\n"
        f"A component's app module exposes it under the name `{_pascal(service.binding_module)}`\n"
        f"({const}.export_class_name). Each method decodes the request, calls the implementation in\n"
        f"`{slot}` and encodes its answer; an exception becomes an error response (type `panic`).\n"
        "Requests and responses are base64 frames of the encoded messages (see the WIT package).",
        "    ",
    )
    for method in service.methods:
        lines += [
            "",
            f"    def {method.python_name}(self, request: str) -> str:",
            *_docstring(method.doc, "        "),
            f"        return {slot}.call({_const(service, method)}, request)",
        ]
    return lines


def render_host(package: Package, proto_package: str, services: list[Service], header: list[str]) -> str:
    """Host-side bindings (wasmtime)."""
    options = package.options
    imported = [s for s in services if not s.exported]
    exported = [s for s in services if s.exported]
    lines = _header(
        header, f"Host-side bindings of {proto_package}: handler protocols, linker registration, export clients."
    )
    lines += [
        "from typing import Protocol, cast",
        "",
        "from wasmtime import Store",
        "from wasmtime.component import Instance, Linker",
        "",
    ]
    lines += [f"from {options.runtime_package}._rpc import DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESPONSE_BYTES"]
    lines += [
        f"from {options.runtime_package}._wasmtime_rpc import ExportCaller, LocalTransport, add_service_to_linker"
    ]
    lines += _message_imports(package, services)
    if imported:
        module = package.python_module(proto_package) + ".guest"
        lines += [f"from {module} import (", *(f"    {s.name}Transport," for s in imported), ")"]
    lines += _services_import(package, proto_package, services, with_methods=True)
    for service in imported:
        lines += ["", "", *_host_import(package, service)]
    for service in exported:
        lines += ["", "", *_host_export(package, service)]
    return "\n".join(lines).rstrip() + "\n"


def _host_import(package: Package, service: Service) -> list[str]:
    name = service.name
    const = _const(service)
    fn = _snake_service(service)
    lines = _protocol(f"{name}Handlers", f"Implements the {name} service on the host: one method per rpc.", service)
    lines += ["", "", f"class Unimplemented{name}:"]
    lines += _docstring(
        f"Answers every {name} rpc with an `internal`/`UNIMPLEMENTED` error; subclass it to implement some.", "    "
    )
    for method in service.methods:
        lines += [
            "",
            _def(method, positional_only=True),
            f"        return {_const(service, method)}.error_response(",
            f'            "internal", "UNIMPLEMENTED", "this host does not implement {name}.{method.name}"',
            "        )",
        ]
    lines += [
        "",
        "",
        f"def add_{fn}_to_linker(",
        f"    linker: Linker, handlers: {name}Handlers, *, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES",
        ") -> None:",
        *_docstring(
            f"Defines the {package.interface_id(service)} import on `linker`, answered by `handlers`.\n\n"
            "A request over `max_request_bytes`, an undecodable request, a handler that raises or one that\n"
            "returns the wrong type is answered with an ErrorDetail; the guest never traps.",
            "    ",
        ),
        f"    add_service_to_linker(linker, {const}, handlers, max_request_bytes)",
        "",
        "",
        f"def {fn}_transport(",
        f"    handlers: {name}Handlers, *, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES",
        f") -> {name}Transport:",
        *_docstring(
            f"A {name}Transport answered by `handlers` in this process, through the same encode/decode\n"
            "path as the component boundary (runs guest-side code natively against real handlers).",
            "    ",
        ),
        f"    return cast({name}Transport, LocalTransport({const}, handlers, max_request_bytes))",
    ]
    return lines


def _host_export(package: Package, service: Service) -> list[str]:
    name = service.name
    lines = [f"class {name}Client:"]
    lines += _docstring(
        f"Typed calls to a component's exported {package.interface_id(service)}.\n\n"
        "An answer over `max_response_bytes` (encoded) or one that does not decode as the response\n"
        "raises reglet_abi._wasmtime_rpc.BadAnswer; a trap raises wasmtime's error.",
        "    ",
    )
    lines += [
        "",
        "    def __init__(",
        "        self, store: Store, instance: Instance, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES",
        "    ) -> None:",
        f"        self._caller = ExportCaller(store, instance, {_const(service)}, max_response_bytes)",
    ]
    for method in service.methods:
        lines += [
            "",
            _def(method, positional_only=False),
            *_docstring(method.doc, "        "),
            f"        response: {method.response.python_class} = self._caller.call({_const(service, method)}, request)",
            "        return response",
        ]
    return lines
