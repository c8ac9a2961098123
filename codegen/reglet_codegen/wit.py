"""Renders the WIT package: one interface per service, one function per rpc, one world."""

from __future__ import annotations

from reglet_codegen import naming
from reglet_codegen.model import Package


def _doc_lines(doc: str, indent: str) -> list[str]:
    return [f"{indent}/// {line}".rstrip() for line in doc.splitlines()] if doc else []


def render(package: Package, header: list[str]) -> str:
    """The text of `wit/<namespace>-<name>.wit`."""
    options = package.options
    lines = [f"// {line}".rstrip() for line in header]
    lines += [
        "//",
        "// Every function takes and returns one protobuf-encoded message, framed as standard base64",
        "// (RFC 4648, with padding) in a `string`; the comment above each function names the message",
        "// types (see the .proto files for their fields). Why not `list<u8>`: hosts that lift values",
        "// dynamically (wasmtime's C API, and so wasmtime-py) represent each list element as a whole",
        "// value, which made a 1 MiB message take seconds and capped one call below 3 MiB; a string",
        "// crosses as one buffer.",
        f"package {options.wit_package};",
        "",
    ]
    for service in package.services:
        lines += _doc_lines(service.doc, "")
        lines.append(f"interface {naming.wit_identifier(service.wit_interface)} {{")
        for i, method in enumerate(service.methods):
            if i:
                lines.append("")
            lines += _doc_lines(method.doc, "  ")
            lines.append(
                f"  /// request: {method.request.full_name.lstrip('.')}, "
                f"response: {method.response.full_name.lstrip('.')}"
            )
            lines.append(f"  {naming.wit_identifier(method.wit_name)}: func(request: string) -> string;")
        lines += ["}", ""]
    lines.append(f"world {naming.wit_identifier(options.world)} {{")
    if options.include_world:
        lines.append(f"  include {options.include_world};")
    for service in package.services:
        verb = "export" if service.exported else "import"
        lines.append(f"  {verb} {naming.wit_identifier(service.wit_interface)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def file_name(package: Package) -> str:
    """Output file of the WIT package, e.g. "wit/reglet-abi.wit" for reglet:abi."""
    ns, name = package.options.wit_namespace_and_name
    return f"wit/{ns}-{name}.wit"
