"""Renders the JavaScript rpc tables (`services.js` and `services.d.ts`) beside protoc-gen-es's messages.

For each proto package that defines services, one ES module names every function that crosses the
WebAssembly boundary: the service and rpc names, the WIT names, the names jco gives them in
JavaScript (the import object's key and camelCase function names), and the protoc-gen-es schemas of
the request and response messages. A JavaScript host reads these instead of spelling the ABI by hand.
"""

from __future__ import annotations

import json
import posixpath
from collections import defaultdict
from collections.abc import Iterable

from reglet_codegen.model import MessageRef, Method, Package, Service
from reglet_codegen.naming import lower_camel, snake

JS_ROOT = "js"


def module_dir(proto_package: str) -> str:
    """Output folder of a proto package's rpc tables, e.g. "js/reglet/v1" (where protoc-gen-es writes too)."""
    return "/".join([JS_ROOT, *proto_package.split(".")])


def _literal(value: object) -> str:
    """A JavaScript literal for a str/bool (JSON is valid JavaScript for both)."""
    return json.dumps(value)


def _schema(ref: MessageRef) -> str:
    return f"{ref.python_class}Schema"


def _const(service: Service, method: Method | None = None) -> str:
    base = service.name if method is None else f"{service.name}_{method.name}"
    return snake(base).upper()


def _message_file(ref: MessageRef, proto_package: str) -> str:
    """The import path of protoc-gen-es's module for `ref`, relative to this package's folder."""
    target = ref.proto_file.removesuffix(".proto") + "_pb.js"
    relative = posixpath.relpath(target, "/".join(proto_package.split(".")))
    return relative if relative.startswith("../") else f"./{relative}"


def _imports(services: Iterable[Service], proto_package: str, *, types: bool) -> list[str]:
    by_file: dict[str, set[str]] = defaultdict(set)
    for service in services:
        for method in service.methods:
            for ref in (method.request, method.response):
                by_file[_message_file(ref, proto_package)].add(ref.python_class if types else _schema(ref))
    keyword = "import type" if types else "import"
    return [
        f"{keyword} {{ {', '.join(sorted(names))} }} from {_literal(path)};" for path, names in sorted(by_file.items())
    ]


def _comment(header: list[str]) -> list[str]:
    return [f"// {line}".rstrip() for line in header]


def _doc(text: str, indent: str = "") -> list[str]:
    if not text:
        return []
    body = [f"{indent} * {line}".rstrip() for line in text.replace("*/", "* /").splitlines()]
    return [f"{indent}/**", *body, f"{indent} */"]


def jco_import_name(package: Package, service: Service) -> str:
    """The key of jco's import object for an imported interface: unversioned, e.g. "reglet:abi/host"."""
    return package.interface_id(service).partition("@")[0]


def render_services(package: Package, proto_package: str, services: list[Service], header: list[str]) -> str:
    """The `services.js` module of one proto package."""
    options = package.options
    lines = [*_comment(header), *_imports(services, proto_package, types=False), ""]
    lines += [
        "/** The WIT package the services are compiled to. */",
        f"export const WIT_PACKAGE = {_literal(options.wit_package)};",
        "",
        "/** The world a component built against these services targets. */",
        f"export const WIT_WORLD = {_literal(options.world)};",
        "",
    ]
    for service in services:
        for method in service.methods:
            lines += _doc(method.doc)
            lines += [
                f"export const {_const(service, method)} = Object.freeze({{",
                f"  service: {_literal(service.name)},",
                f"  name: {_literal(method.name)},",
                f"  witName: {_literal(method.wit_name)},",
                f"  jsName: {_literal(lower_camel(method.wit_name))},",
                f"  requestSchema: {_schema(method.request)},",
                f"  responseSchema: {_schema(method.response)},",
                "});",
                "",
            ]
        lines += _doc(service.doc)
        lines += [
            f"export const {_const(service)} = Object.freeze({{",
            f"  name: {_literal(service.name)},",
            f"  fullName: {_literal(service.full_name)},",
            f"  protoFile: {_literal(service.proto_file)},",
            f"  witInterface: {_literal(package.interface_id(service))},",
            f"  jcoImportName: {_literal(jco_import_name(package, service))},",
            f"  exported: {_literal(service.exported)},",
            f"  methods: Object.freeze([{', '.join(_const(service, m) for m in service.methods)}]),",
            "});",
            "",
        ]
    lines += [
        "/** Every service of this package, in proto order. */",
        f"export const SERVICES = Object.freeze([{', '.join(_const(s) for s in services)}]);",
    ]
    return "\n".join(lines) + "\n"


def render_declarations(package: Package, proto_package: str, services: list[Service], header: list[str]) -> str:
    """The `services.d.ts` declarations of `services.js` (for editors and TypeScript hosts)."""
    lines = [
        *_comment(header),
        'import type { GenMessage } from "@bufbuild/protobuf/codegenv2";',
        'import type { Message } from "@bufbuild/protobuf";',
        *_imports(services, proto_package, types=True),
        "",
        "/** One rpc: its names on each side of the boundary and its message schemas. */",
        "export interface RpcMethod<Req extends Message = Message, Res extends Message = Message> {",
        "  readonly service: string;",
        "  readonly name: string;",
        "  readonly witName: string;",
        "  readonly jsName: string;",
        "  readonly requestSchema: GenMessage<Req>;",
        "  readonly responseSchema: GenMessage<Res>;",
        "}",
        "",
        "/** One service: a WIT interface imported (implemented by the host) or exported (by the guest). */",
        "export interface RpcService {",
        "  readonly name: string;",
        "  readonly fullName: string;",
        "  readonly protoFile: string;",
        "  readonly witInterface: string;",
        "  readonly jcoImportName: string;",
        "  readonly exported: boolean;",
        "  readonly methods: readonly RpcMethod[];",
        "}",
        "",
        "export declare const WIT_PACKAGE: string;",
        "export declare const WIT_WORLD: string;",
    ]
    for service in services:
        for method in service.methods:
            request, response = method.request.python_class, method.response.python_class
            lines.append(f"export declare const {_const(service, method)}: RpcMethod<{request}, {response}>;")
        lines.append(f"export declare const {_const(service)}: RpcService;")
    lines.append("export declare const SERVICES: readonly RpcService[];")
    return "\n".join(lines) + "\n"
