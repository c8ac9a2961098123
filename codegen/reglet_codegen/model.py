"""The services of a protoc request, checked and named for WIT, Python and JavaScript.

Everything the renderers need is computed here once: which services are imported or exported, the
WIT and Python name of every rpc, the Python class of every message. Problems in the input are
collected as `CodegenError`s that name the proto file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

from reglet_codegen import naming

ERROR_DETAIL_TYPE = ".reglet.v1.ErrorDetail"

# Field numbers in descriptor.proto, used to find source locations (see SourceCodeInfo.Location.path).
_FILE_MESSAGE_TYPE = 4
_FILE_SERVICE = 6
_SERVICE_METHOD = 2


class CodegenError(Exception):
    """One or more problems in the proto input; each message names the file and line."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Options:
    """Plugin parameters (`--reglet_out=key=value,...:DIR`)."""

    wit_package: str  # e.g. "reglet:abi@0.1.0"
    python_package: str  # root package of the generated Python code, e.g. "reglet_abi"
    exports: frozenset[str]  # service names the guest implements; every other service is imported
    world: str  # WIT world name, e.g. "reglet-plugin"
    world_module: str  # componentize-py `--world-module`, e.g. "reglet_wit"
    proto_root: str  # how the proto include dir is named in generated headers, e.g. "proto"
    emit_runtime: bool  # also write the runtime support modules (_rpc.py, _wasmtime_rpc.py)
    runtime_package: str  # package the generated code imports _rpc/_wasmtime_rpc from (extensions: reglet_abi)
    include_world: str  # a world the generated world includes (extensions: "reglet:abi/reglet-plugin@0.1.0")
    emit: frozenset[str] = frozenset({"wit", "python"})  # what to write: wit, python and/or js (rpc tables)

    @classmethod
    def parse(cls, parameter: str) -> Options:
        """Parses `key=value,...`; every key is required except proto_root and world_module."""
        values: dict[str, str] = {}
        for item in filter(None, parameter.split(",")):
            key, sep, value = item.partition("=")
            if not sep:
                raise CodegenError([f"plugin parameter {item!r} is not key=value"])
            values[key.strip()] = value.strip()
        known = {
            *("wit_package", "python_package", "exports", "world", "world_module", "proto_root"),
            *("emit_runtime", "runtime_package", "include_world", "emit"),
        }
        unknown = sorted(set(values) - known)
        if unknown:
            raise CodegenError([f"unknown plugin parameter(s) {', '.join(unknown)}; known: {sorted(known)}"])
        missing = sorted({"wit_package", "python_package", "world"} - set(values))
        if missing:
            raise CodegenError([f"missing plugin parameter(s): {', '.join(missing)}"])
        return cls(
            wit_package=values["wit_package"],
            python_package=values["python_package"],
            exports=frozenset(filter(None, values.get("exports", "").split("+"))),
            world=values["world"],
            world_module=values.get("world_module", "reglet_wit"),
            proto_root=values.get("proto_root", "proto"),
            emit_runtime=values.get("emit_runtime", "false").lower() in ("1", "true", "yes"),
            runtime_package=values.get("runtime_package", values["python_package"]),
            include_world=values.get("include_world", ""),
            emit=_emit_targets(values.get("emit", "wit+python")),
        )

    @property
    def wit_namespace_and_name(self) -> tuple[str, str]:
        """("reglet", "abi") for "reglet:abi@0.1.0"."""
        ns, _, rest = self.wit_package.partition(":")
        return ns, rest.partition("@")[0]

    @property
    def wit_version(self) -> str:
        """The version part, "0.1.0" for "reglet:abi@0.1.0"."""
        return self.wit_package.partition("@")[2]


def _emit_targets(text: str) -> frozenset[str]:
    """The `emit` parameter ("wit+python", "js", ...) as a set; CodegenError names an unknown target."""
    targets = frozenset(filter(None, text.split("+")))
    unknown = sorted(targets - EMIT_TARGETS)
    if unknown or not targets:
        raise CodegenError([f"emit={text!r}: targets are {'+'.join(sorted(EMIT_TARGETS))} joined by '+'"])
    return targets


EMIT_TARGETS = frozenset({"wit", "python", "js"})


@dataclass(frozen=True)
class MessageRef:
    """A message used as an rpc input or output."""

    full_name: str  # ".reglet.v1.ExecRequest"
    python_module: str  # "reglet_abi.reglet.v1"
    python_class: str  # "ExecRequest"
    proto_file: str = ""  # the file that declares it, relative to its include dir: "reglet/v1/exec.proto"


@dataclass(frozen=True)
class Method:
    """One rpc."""

    name: str  # "ExecCommand"
    wit_name: str  # "exec-command" (unescaped)
    python_name: str  # "exec_command"
    request: MessageRef
    response: MessageRef
    doc: str
    location: str


@dataclass(frozen=True)
class Service:
    """One service: a WIT interface."""

    name: str  # "Host"
    full_name: str  # "reglet.v1.Host"
    proto_package: str  # "reglet.v1"
    proto_file: str  # "proto/reglet/v1/host.proto"
    wit_interface: str  # "host" (unescaped)
    binding_module: str  # "reglet_abi_host": the componentize-py module for this interface
    exported: bool  # True: the guest implements it; False: the host does
    methods: tuple[Method, ...]
    doc: str
    location: str


@dataclass(frozen=True)
class Package:
    """All services of one generation run, with the options that name them."""

    options: Options
    services: tuple[Service, ...]
    source_files: tuple[str, ...]  # proto files (with proto_root prefix) that define the services

    def interface_id(self, service: Service) -> str:
        """The fully qualified interface name, e.g. "reglet:abi/host@0.1.0"."""
        ns, name = self.options.wit_namespace_and_name
        version = self.options.wit_version
        return f"{ns}:{name}/{service.wit_interface}" + (f"@{version}" if version else "")

    def python_module(self, proto_package: str) -> str:
        """Python module holding the messages of a proto package: "reglet_abi.reglet.v1"."""
        return ".".join([self.options.python_package, *proto_package.split(".")])


def _comments(file: descriptor_pb2.FileDescriptorProto, path: tuple[int, ...]) -> tuple[str, str]:
    """(leading comment, "file:line:col") for the element at `path` in `file`."""
    for loc in file.source_code_info.location:
        if tuple(loc.path) == path:
            line, col = loc.span[0] + 1, loc.span[1] + 1
            return _clean_comment(loc.leading_comments), f"{line}:{col}"
    return "", "?"


def _clean_comment(comment: str) -> str:
    """Drops the one space after `//` on every line and surrounding blank lines."""
    lines = [line[1:] if line.startswith(" ") else line for line in comment.splitlines()]
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _index_messages(
    files: Iterable[descriptor_pb2.FileDescriptorProto],
) -> dict[str, tuple[str, descriptor_pb2.DescriptorProto, bool, str]]:
    """Maps ".pkg.Name" to (package, descriptor, is_top_level, file name) for every message in every file."""
    index: dict[str, tuple[str, descriptor_pb2.DescriptorProto, bool, str]] = {}

    def walk(
        prefix: str,
        file: descriptor_pb2.FileDescriptorProto,
        messages: Iterable[descriptor_pb2.DescriptorProto],
        top: bool,
    ) -> None:
        for message in messages:
            full = f"{prefix}.{message.name}"
            index[full] = (file.package, message, top, file.name)
            walk(full, file, message.nested_type, False)

    for file in files:
        walk(f".{file.package}" if file.package else "", file, file.message_type, True)
    return index


@dataclass
class _Reader:
    """Reads services and rpcs one at a time, collecting every problem instead of stopping at the first."""

    options: Options
    messages: dict[str, tuple[str, descriptor_pb2.DescriptorProto, bool, str]]
    problems: list[str] = field(default_factory=list)
    interface_owner: dict[str, str] = field(default_factory=dict)  # WIT interface -> "Service (file:line)"

    def where(self, file_name: str, pos: str) -> str:
        """How problems and generated code name a place, e.g. "proto/reglet/v1/host.proto:12:3"."""
        return f"{self.options.proto_root}/{file_name}:{pos}"

    def service(self, file: descriptor_pb2.FileDescriptorProto, file_name: str, s_index: int) -> Service:
        """The service at `s_index` of `file`, with the rpcs that have no problem."""
        service = file.service[s_index]
        s_doc, s_pos = _comments(file, (_FILE_SERVICE, s_index))
        s_at = self.where(file_name, s_pos)
        interface = naming.kebab(service.name)
        if not naming.is_valid_wit_identifier(interface):
            self.problems.append(
                f"{s_at}: service {service.name} becomes {interface!r} in WIT, which is not a valid "
                "WIT identifier (each dash-separated word must start with a letter). Rename the service."
            )
        if interface in self.interface_owner:
            self.problems.append(
                f"{s_at}: service {service.name} becomes WIT interface {interface!r}, which service "
                f"{self.interface_owner[interface]} already uses. Rename one of them."
            )
        self.interface_owner[interface] = f"{service.name} ({s_at})"
        methods: list[Method] = []
        wit_names: dict[str, str] = {}  # WIT function -> "Service.Rpc (file:line)", to report collisions
        for m_index in range(len(service.method)):
            method = self.method(file, file_name, (s_index, m_index), wit_names)
            if method is not None:
                methods.append(method)
        ns, pkg_name = self.options.wit_namespace_and_name
        return Service(
            name=service.name,
            full_name=f"{file.package}.{service.name}" if file.package else service.name,
            proto_package=file.package,
            proto_file=f"{self.options.proto_root}/{file_name}",
            wit_interface=interface,
            binding_module=naming.snake(f"{ns}_{pkg_name}_{interface}".replace("-", "_")),
            exported=service.name in self.options.exports,
            methods=tuple(methods),
            doc=s_doc,
            location=s_at,
        )

    def method(
        self,
        file: descriptor_pb2.FileDescriptorProto,
        file_name: str,
        indexes: tuple[int, int],
        wit_names: dict[str, str],
    ) -> Method | None:
        """The rpc at `indexes` (service, method) of `file`, or None when its messages are unusable."""
        s_index, m_index = indexes
        service = file.service[s_index]
        method = service.method[m_index]
        m_doc, m_pos = _comments(file, (_FILE_SERVICE, s_index, _SERVICE_METHOD, m_index))
        at = self.where(file_name, m_pos)
        rpc = f"{service.name}.{method.name}"
        if method.client_streaming or method.server_streaming:
            self.problems.append(
                f"{at}: rpc {rpc} is streaming; the plugin ABI passes one encoded message each way, "
                "so streaming rpcs are not supported. Remove `stream`."
            )
        wit_name = naming.kebab(method.name)
        if not naming.is_valid_wit_identifier(wit_name):
            self.problems.append(
                f"{at}: rpc {rpc} becomes {wit_name!r} in WIT, which is not a valid WIT identifier "
                "(each dash-separated word must start with a letter). Rename the rpc."
            )
        if wit_name in wit_names:
            self.problems.append(
                f"{at}: rpc {rpc} becomes WIT function {wit_name!r}, the same name as rpc "
                f"{wit_names[wit_name]}. Rename one of them."
            )
        wit_names[wit_name] = f"{rpc} ({at})"
        request_ref = self.message_ref(method.input_type, at, "request", rpc)
        response_ref = self.message_ref(method.output_type, at, "response", rpc)
        if response_ref is not None:
            self.check_error_field(method.output_type, at, rpc)
        if request_ref is None or response_ref is None:
            return None
        return Method(
            name=method.name,
            wit_name=wit_name,
            python_name=naming.python_identifier(naming.snake(method.name)),
            request=request_ref,
            response=response_ref,
            doc=m_doc,
            location=at,
        )

    def message_ref(self, type_name: str, at: str, role: str, rpc: str) -> MessageRef | None:
        """The Python class of an rpc's request or response, or None (and a problem) when it has none."""
        found = self.messages.get(type_name)
        if found is None:
            self.problems.append(f"{at}: rpc {rpc} {role} type {type_name} is not defined in any input file.")
            return None
        package, message, top_level, proto_file = found
        if not top_level:
            self.problems.append(
                f"{at}: rpc {rpc} {role} type {type_name} is a nested message; rpc messages must be "
                "declared at the top level of a file so every language can name them. Move it out."
            )
            return None
        python_package = self.options.python_package
        module = ".".join([python_package, *package.split(".")]) if package else python_package
        return MessageRef(full_name=type_name, python_module=module, python_class=message.name, proto_file=proto_file)

    def check_error_field(self, response_type: str, at: str, rpc: str) -> None:
        """Every response carries `reglet.v1.ErrorDetail error`, so failures are answers, not traps."""
        response_message = self.messages[response_type][1]
        error_field = next((f for f in response_message.field if f.name == "error"), None)
        if (
            error_field is None
            or error_field.type_name != ERROR_DETAIL_TYPE
            or error_field.label == error_field.LABEL_REPEATED
        ):
            self.problems.append(
                f"{at}: rpc {rpc} returns {response_type.lstrip('.')}, which has no "
                "`reglet.v1.ErrorDetail error` field. Every response must carry one so a failure "
                "is answered with an error instead of trapping the guest. Add "
                "`ErrorDetail error = 1;` to the message."
            )


def build(request: plugin_pb2.CodeGeneratorRequest, options: Options) -> Package:
    """Reads the services of the files to generate; raises CodegenError listing every problem."""
    files: Mapping[str, descriptor_pb2.FileDescriptorProto] = {f.name: f for f in request.proto_file}
    reader = _Reader(options, _index_messages(request.proto_file))
    services: list[Service] = []
    source_files: list[str] = []
    for file_name in request.file_to_generate:
        file = files[file_name]
        if file.service:
            source_files.append(f"{options.proto_root}/{file_name}")
        services += [reader.service(file, file_name, s_index) for s_index in range(len(file.service))]
    unknown_exports = sorted(options.exports - {s.name for s in services})
    if unknown_exports:
        reader.problems.append(f"exports names service(s) {', '.join(unknown_exports)}, which no input file defines.")
    if reader.problems:
        raise CodegenError(reader.problems)
    return Package(options=options, services=tuple(services), source_files=tuple(source_files))
