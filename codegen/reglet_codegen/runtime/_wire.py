"""A strict protobuf decoder, and a fast encoder, for betterproto2 messages.

betterproto2's own parser trusts its input: it accepts a value of the wrong wire type (a varint where
a message belongs parses into an int), gathers unknown fields by concatenating bytes (quadratic: 0.8 MB
of two-byte unknown fields took 33 s), copies every nested message out of its parent and reads varints
one `read(1)` at a time. Messages from the other side of the boundary are hostile, so they are decoded
here instead: one pass over the buffer by offsets (no copies but the strings and bytes kept), every
wire type checked against the schema, unknown fields skipped (a newer peer may send fields this side
does not know), and nesting bounded. The objects built are ordinary betterproto2 messages.

Encoding is betterproto2's wire format byte for byte, from per-class tables built once (betterproto2's
own `bytes(message)` looks up each field's default under `warnings.catch_warnings()` on every call,
which made a 100-byte request cost more than the host call it rides on). Both tables are built at a
component's build time (`prepare_message`), so a fresh instance starts with them.

Nothing here imports wasmtime: this module is bundled into every plugin component.
"""

from __future__ import annotations

import dataclasses
import datetime
import keyword
import struct
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import betterproto2

from reglet_abi.google.protobuf import Timestamp

MessageT = TypeVar("MessageT", bound=betterproto2.Message)

MAX_DEPTH = 128
"""Deepest nesting of messages accepted (JSON data nests two or three message levels per level of its own)."""

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5
_WIRE_NAMES = {VARINT: "varint", FIXED64: "64-bit", LEN: "length-delimited", FIXED32: "32-bit", 3: "group", 4: "group"}
_UINT64 = (1 << 64) - 1
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class WireError(ValueError):
    """The bytes are not a valid encoding of the expected message; `path` names the field."""

    def __init__(self, reason: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def __str__(self) -> str:
        path = self.path
        if len(path) > 8:  # deep nesting: the ends say where, the middle only repeats
            path = (*path[:4], f"<{len(path) - 7} more>", *path[-3:])
        return f"{'.'.join(path)}: {self.reason}" if path else self.reason


def _signed(bits: int) -> Callable[[int], int]:
    mask, sign = (1 << bits) - 1, 1 << (bits - 1)
    return lambda value: ((value & mask) ^ sign) - sign


def _unsigned(bits: int) -> Callable[[int], int]:
    mask = (1 << bits) - 1
    return lambda value: value & mask


def _zigzag(value: int) -> int:
    value &= _UINT64
    return (value >> 1) ^ -(value & 1)


_VARINT_TYPES: dict[str, Callable[[int], Any]] = {
    betterproto2.TYPE_INT32: _signed(32),
    betterproto2.TYPE_INT64: _signed(64),
    betterproto2.TYPE_UINT32: _unsigned(32),
    betterproto2.TYPE_UINT64: _unsigned(64),
    betterproto2.TYPE_SINT32: _zigzag,
    betterproto2.TYPE_SINT64: _zigzag,
    betterproto2.TYPE_BOOL: bool,
    betterproto2.TYPE_ENUM: _signed(32),
}
_FIXED_TYPES: dict[str, tuple[int, struct.Struct]] = {
    betterproto2.TYPE_FIXED32: (FIXED32, struct.Struct("<I")),
    betterproto2.TYPE_SFIXED32: (FIXED32, struct.Struct("<i")),
    betterproto2.TYPE_FLOAT: (FIXED32, struct.Struct("<f")),
    betterproto2.TYPE_FIXED64: (FIXED64, struct.Struct("<Q")),
    betterproto2.TYPE_SFIXED64: (FIXED64, struct.Struct("<q")),
    betterproto2.TYPE_DOUBLE: (FIXED64, struct.Struct("<d")),
}

# Decodes one value: (raw varint) for a varint, (buffer, offset) for a fixed-size value, and
# (buffer, start, end, depth) for a length-delimited one.
_Decode = Callable[..., Any]
CustomDecode = Callable[[bytes, int, int, int], Any]
"""Decodes a length-delimited message in buffer[start:end] at nesting `depth` into anything."""


@dataclasses.dataclass(frozen=True)
class _Field:
    """How one field of a message class is decoded."""

    name: str
    wire: int  # the wire type the schema implies
    decode: _Decode
    repeated: bool = False
    group: str | None = None
    is_map: bool = False


def _string(buffer: bytes, start: int, end: int, depth: int) -> str:
    return str(buffer[start:end], "utf-8")  # UnicodeDecodeError is a ValueError: reported as bad bytes


def _bytes(buffer: bytes, start: int, end: int, depth: int) -> bytes:
    return buffer[start:end]


def _default(field: _Field) -> Any:
    """The value of a map entry's key or value when the entry leaves it out (proto3 zero values)."""
    if field.wire == VARINT:
        return field.decode(0)
    if field.wire in (FIXED32, FIXED64):
        return field.decode(bytes(8), 0)[0]
    return field.decode(b"", 0, 0, 0)


_Reader = Callable[[bytes, int, int, int, dict[str, Any]], None]
"""Reads the fields in buffer[start:end] at nesting `depth` into a dict (name -> value)."""

# The compiled reader of one class (see Decoder._reader): a loop over its keys, one branch per field.
_READER_HEAD = [
    "def read(buffer, pos, end, depth, found):",
    "    if depth > MAX_DEPTH:",
    '        raise WireError(f"messages are nested more than {MAX_DEPTH} levels deep")',
    "    while pos < end:",
    "        key = buffer[pos]",
    "        if False:",
    "            pass",
]
_VARINT_BRANCH = [
    "        elif key == {key}:",
    "            value = buffer[pos + 1] if pos + 1 < end else 0x80",
    "            if value < 0x80:",
    "                pos += 2",
    "            else:",
    "                value, pos = _varint(buffer, pos + 1, end)",
    "            try:",
    "                found[{name}] = {decode}(value)",
    "            except Exception as exc:",
    '                raise WireError(f"{{exc}} ({{type(exc).__name__}})", ({name},)) from None',
]
_LEN_BRANCH = [
    "        elif key == {key}:",
    "            size = buffer[pos + 1] if pos + 1 < end else 0x80",
    "            if size < 0x80:",
    "                start = pos + 2",
    "            else:",
    "                size, start = _varint(buffer, pos + 1, end)",
    "            if start + size > end:",
    "                break",
    "            try:",
    "                found[{name}] = {decode}(buffer, start, start + size, depth)",
    "            except WireError as exc:",
    "                raise WireError(exc.reason, ({name}, *exc.path)) from None",
    "            except Exception as exc:",
    '                raise WireError(f"{{exc}} ({{type(exc).__name__}})", ({name},)) from None',
    "            pos = start + size",
]
_READER_TAIL = [
    "        else:",
    "            break",
    "    if pos < end:",
    "        _read_fields(schema, found, buffer, pos, end, depth)",
]


class Decoder:
    """Decodes messages strictly and in linear time.

    A message-typed field whose class is in `custom` is decoded by that function instead, into
    whatever it returns (the host decodes a plugin's JSON result data straight into Python values).
    """

    def __init__(self, custom: Mapping[type, CustomDecode] | None = None) -> None:
        self._custom = dict(custom or {})
        self._schemas: dict[type, dict[int, _Field]] = {}
        self._readers: dict[type, _Reader] = {}

    def decode(self, cls: type[MessageT], data: bytes) -> MessageT:
        """`data` decoded as a `cls`; raises WireError naming the first field that does not fit the schema."""
        buffer = bytes(data)
        found: dict[str, Any] = {}
        try:  # (what _message does, inline: this is every boundary crossing's entry)
            (self._readers.get(cls) or self._reader(cls))(buffer, 0, len(buffer), 0, found)
        except WireError as exc:
            raise WireError(exc.reason, (cls.__name__, *exc.path)) from None
        return cls(**found)

    def prepare(self, cls: type[betterproto2.Message]) -> None:
        """Builds the decoding tables of `cls` now (at a component's build time, for its snapshot)."""
        if cls not in self._readers:
            self._reader(cls)

    def fields(
        self, cls: type[betterproto2.Message], buffer: bytes, start: int, end: int, depth: int
    ) -> dict[str, Any]:
        """The fields of a `cls` encoded in buffer[start:end], by name (those absent left out).

        For custom decoders that build something other than `cls` from its fields.
        """
        found: dict[str, Any] = {}
        (self._readers.get(cls) or self._reader(cls))(buffer, start, end, depth, found)
        return found

    def _message(self, cls: type[MessageT], buffer: bytes, start: int, end: int, depth: int) -> MessageT:
        found: dict[str, Any] = {}
        (self._readers.get(cls) or self._reader(cls))(buffer, start, end, depth, found)
        return cls(**found)

    def _reader(self, cls: type[betterproto2.Message]) -> _Reader:
        """The fields reader of `cls`, compiled once: its common fields inline, the rest `_read_fields`.

        The compiled loop reads a field whose key is one byte and whose value is a varint or
        length-delimited, not repeated, not a map entry, not in a oneof. At the first key it does not
        know (or a value that runs past the end) it hands the rest of the buffer to `_read_fields`,
        which raises exactly as it would have; a class with a oneof is read by `_read_fields` alone.
        """
        schema = self._schema(cls)
        namespace: dict[str, Any] = {"_varint": _varint, "_read_fields": _read_fields, "WireError": WireError}
        namespace.update(MAX_DEPTH=MAX_DEPTH, schema=schema)
        branches: list[str] = []
        for number, field in schema.items():
            if field.group is not None:
                branches = []
                break
            key = number << 3 | field.wire
            if key >= 0x80 or field.repeated or field.is_map or field.wire not in (VARINT, LEN):
                continue
            namespace[f"F{number}"] = field.decode
            template = _VARINT_BRANCH if field.wire == VARINT else _LEN_BRANCH
            branches += [line.format(key=key, decode=f"F{number}", name=repr(field.name)) for line in template]
        if branches:
            source = "\n".join([*_READER_HEAD, *branches, *_READER_TAIL])
            exec(compile(source, f"<reader of {cls.__name__}>", "exec"), namespace)  # our own source, no values
            reader: _Reader = namespace["read"]
        else:
            reader = lambda buffer, start, end, depth, found: _read_fields(schema, found, buffer, start, end, depth)  # noqa: E731
        self._readers[cls] = reader
        return reader

    def _schema(self, cls: type[betterproto2.Message]) -> dict[int, _Field]:
        """The decoders of a message class's fields by number (built once per class)."""
        schema = self._schemas.get(cls)
        if schema is None:
            meta = cast(Any, cls)._betterproto  # betterproto2's per-class metadata
            schema = {}
            for field in dataclasses.fields(cast(Any, cls)):
                fm = betterproto2.FieldMetadata.get(field)
                if fm.proto_type == betterproto2.TYPE_MAP:
                    value_class = meta.cls_by_field.get(f"{field.name}.value")
                    schema[fm.number] = self._map_field(field.name, fm, value_class)
                else:
                    value_class = meta.cls_by_field.get(field.name)
                    schema[fm.number] = self._value_field(field.name, fm, value_class, bool(fm.repeated))
            self._schemas[cls] = schema
        return schema

    def _value_field(
        self, name: str, meta: betterproto2.FieldMetadata, value_class: type | None, repeated: bool
    ) -> _Field:
        """The decoder of a field of one proto type (also a map entry's key or value)."""
        kind, group = meta.proto_type, meta.group
        if kind in _VARINT_TYPES:
            convert = _VARINT_TYPES[kind]
            if kind == betterproto2.TYPE_ENUM and value_class is not None:
                enum_class, to_int = value_class, convert
                convert = lambda raw: enum_class(to_int(raw))  # noqa: E731 - unknown values stay int-like members
            return _Field(name, VARINT, convert, repeated, group)
        if kind in _FIXED_TYPES:
            wire, layout = _FIXED_TYPES[kind]
            return _Field(name, wire, layout.unpack_from, repeated, group)
        if kind == betterproto2.TYPE_STRING:
            return _Field(name, LEN, _string, repeated, group)
        if kind == betterproto2.TYPE_BYTES:
            return _Field(name, LEN, _bytes, repeated, group)
        if kind == betterproto2.TYPE_MESSAGE:
            message_class = meta.unwrap() if meta.unwrap is not None else value_class
            if message_class is None:
                raise TypeError(f"{name}: no message class for a message field")
            return _Field(name, LEN, self._message_decoder(message_class, meta.unwrap is not None), repeated, group)
        raise TypeError(f"{name}: proto type {kind!r} is not supported")

    def _message_decoder(self, cls: type[betterproto2.Message], unwrap: bool) -> _Decode:
        custom = self._custom.get(cls)
        if custom is not None:
            return lambda buffer, start, end, depth: custom(buffer, start, end, depth + 1)
        if unwrap and cls is Timestamp:  # straight to the datetime Timestamp.to_datetime gives, no Timestamp
            schema = self._schema(cls)

            def decode_timestamp(buffer: bytes, start: int, end: int, depth: int) -> datetime.datetime:
                seconds, nanos = _timestamp_fields(buffer, start, end)
                if seconds is None:  # not the one canonical layout: the general path, with all its checks
                    found: dict[str, Any] = {}
                    _read_fields(schema, found, buffer, start, end, depth + 1)
                    seconds, nanos = found.get("seconds", 0), found.get("nanos", 0)
                elif depth + 1 > MAX_DEPTH:
                    raise WireError(f"messages are nested more than {MAX_DEPTH} levels deep")
                return _EPOCH + datetime.timedelta(0, seconds, nanos // 1000)  # (positional: cheaper)

            return decode_timestamp

        def decode(buffer: bytes, start: int, end: int, depth: int) -> Any:
            message = self._message(cls, buffer, start, end, depth + 1)
            return cast(Any, message).to_wrapped() if unwrap else message  # Timestamp -> datetime, ...

        return decode

    def _map_field(self, name: str, meta: betterproto2.FieldMetadata, value_class: type | None) -> _Field:
        assert meta.map_meta is not None
        key = self._value_field(f"{name}.key", meta.map_meta[0], None, False)
        value = self._value_field(f"{name}.value", meta.map_meta[1], value_class, False)
        entry = {1: key, 2: value}

        def decode(buffer: bytes, start: int, end: int, depth: int) -> tuple[Any, Any]:
            found: dict[str, Any] = {}
            _read_fields(entry, found, buffer, start, end, depth + 1)
            return found.get(key.name, _default(key)), found.get(value.name, _default(value))

        return _Field(name, LEN, decode, is_map=True)


def _varint(buffer: bytes, pos: int, end: int) -> tuple[int, int]:
    """The varint at `pos` and the offset after it."""
    result = shift = 0
    while pos < end:
        byte = buffer[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("a varint is longer than 10 bytes")
    raise WireError("the message ends inside a varint")


_INT64, _INT32 = _VARINT_TYPES[betterproto2.TYPE_INT64], _VARINT_TYPES[betterproto2.TYPE_INT32]


def _timestamp_fields(buffer: bytes, pos: int, end: int) -> tuple[int | None, int]:
    """(seconds, nanos) of a Timestamp laid out as betterproto2 writes one, else (None, 0).

    That layout is seconds then nanos, each at most once, zeros left out; any other (unknown fields,
    repeats, another order) is left to the general decoder.
    """
    seconds = nanos = 0
    if pos < end and buffer[pos] == 0x08:  # field 1 (seconds), varint
        seconds, pos = _varint(buffer, pos + 1, end)
        seconds = _INT64(seconds)
    if pos < end and buffer[pos] == 0x10:  # field 2 (nanos), varint
        nanos, pos = _varint(buffer, pos + 1, end)
        nanos = _INT32(nanos)
    return (seconds, nanos) if pos == end else (None, 0)


def _read_fields(
    schema: dict[int, _Field], found: dict[str, Any], buffer: bytes, pos: int, end: int, depth: int
) -> None:
    """Decodes the fields in buffer[pos:end] into `found` (name -> value)."""
    if depth > MAX_DEPTH:
        raise WireError(f"messages are nested more than {MAX_DEPTH} levels deep")
    chosen: dict[str, str] = {}  # oneof group -> the member set last (a later one replaces it)
    while pos < end:
        key = buffer[pos]  # one-byte keys and lengths are the common case: read them inline
        if key < 0x80:
            pos += 1
        else:
            key, pos = _varint(buffer, pos, end)
        number, wire = key >> 3, key & 7
        if wire == LEN:
            value = buffer[pos] if pos < end else 0x80
            if value < 0x80:
                value, pos = pos + 1, pos + 1 + value
            else:
                length, value = _varint(buffer, pos, end)
                pos = value + length
        elif wire == VARINT:
            value = buffer[pos] if pos < end else 0x80
            if value < 0x80:
                pos += 1
            else:
                value, pos = _varint(buffer, pos, end)
        elif wire in (FIXED64, FIXED32):
            value, pos = pos, pos + (8 if wire == FIXED64 else 4)
        else:
            raise WireError(f"field {number} has wire type {wire} ({_WIRE_NAMES.get(wire, 'invalid')}), not supported")
        if pos > end:
            raise WireError(f"field {number} runs past the end of its message")
        field = schema.get(number)
        if field is None:
            continue  # unknown: skipped, so a newer peer's extra fields do no harm
        if wire != field.wire:  # (packed repeated scalars would arrive length-delimited: the ABI has none)
            raise WireError(
                f"has wire type {_WIRE_NAMES[wire]} where the schema has {_WIRE_NAMES[field.wire]} "
                "(the two sides disagree on the message)",
                (field.name,),
            )
        try:  # (inline rather than a function per field: this loop is every boundary crossing's cost)
            if wire == VARINT:
                decoded = field.decode(value)
            elif wire == LEN:
                decoded = field.decode(buffer, value, pos, depth)
            else:
                decoded = field.decode(buffer, value)[0]
        except WireError as exc:
            raise WireError(exc.reason, (field.name, *exc.path)) from None
        except Exception as exc:  # noqa: BLE001 - e.g. invalid UTF-8, a timestamp out of range: bad bytes
            raise WireError(f"{exc} ({type(exc).__name__})", (field.name,)) from None
        if field.is_map:
            found.setdefault(field.name, {})[decoded[0]] = decoded[1]
        elif field.repeated:
            found.setdefault(field.name, []).append(decoded)
        else:
            found[field.name] = decoded
        if field.group is not None:
            previous = chosen.get(field.group)
            if previous is not None and previous != field.name:
                del found[previous]
            chosen[field.group] = field.name


_SMALL = tuple(bytes((i,)) for i in range(0x80))


def _encode_varint(value: int) -> bytes:
    """A varint as betterproto2 writes it (a negative value as its 64-bit two's complement).

    A value that is not an integer raises TypeError (comparing or masking it fails), so a wrongly
    typed field cannot be written as anything.
    """
    if 0 <= value < 0x80:
        return _SMALL[value]
    if value < 0:
        if value < -(1 << 63):
            raise ValueError(f"{value} is below the 64-bit range of a varint")
        value += 1 << 64
    elif value > _UINT64:
        raise ValueError(f"{value} is above the 64-bit range of a varint")
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _zigzag_encode(value: int) -> bytes:
    return _encode_varint(value << 1 if value >= 0 else (value << 1) ^ ~0)


def _encode_string(value: str) -> bytes:
    return value.encode("utf-8")  # a non-str has no .encode (bytes neither): AttributeError


def _encode_bytes(value: bytes) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"a bytes field holds a {type(value).__name__}")
    return bytes(value)


_last_timestamp: tuple[object, bytes] = (None, b"")


def _timestamp_payload(value: datetime.datetime) -> bytes:
    """A datetime as the Timestamp `Timestamp.from_datetime` makes of it, encoded (no Timestamp built).

    The last one is remembered: a call's deadline rides along with every host call it makes, the same
    (immutable) datetime each time.
    """
    global _last_timestamp
    last = _last_timestamp  # one read: another thread may replace the pair, never half of it
    if last[0] is value:
        return last[1]
    if not value.tzinfo:
        raise ValueError("datetime must be timezone aware")
    offset = value - _EPOCH
    seconds, micros = divmod((offset.days * 86400 + offset.seconds) * 1_000_000 + offset.microseconds, 1_000_000)
    parts = []
    if seconds:
        parts.append(b"\x08" + _encode_varint(seconds))
    if micros:
        parts.append(b"\x10" + _encode_varint(micros * 1000))
    payload = b"".join(parts)
    _last_timestamp = (value, payload)
    return payload


_Encode = Callable[[Any], bytes]
"""Encodes one value's payload (without key; a length-delimited one without its length)."""


class Encoder:
    """Encodes betterproto2 messages exactly as `bytes(message)` does, with a function compiled per class.

    Each class's function is straight-line code over its fields (built from the class's metadata once;
    field values are never part of the source), so encoding a message costs no per-field dispatch.
    """

    def __init__(self) -> None:
        self._compiled: dict[type, Callable[[Any], bytes]] = {}

    def encode(self, message: betterproto2.Message) -> bytes:
        """The wire encoding of `message`; TypeError/ValueError when a field holds a wrong value."""
        encode = self._compiled.get(type(message))
        if encode is None:
            encode = self._compile(type(message))
        return encode(message)

    def prepare(self, cls: type[betterproto2.Message]) -> None:
        """Compiles the encoder of `cls` now (at a component's build time, for its snapshot)."""
        if cls not in self._compiled:
            self._compile(cls)

    def _compile(self, cls: type[betterproto2.Message]) -> Callable[[Any], bytes]:
        meta = cast(Any, cls)._betterproto  # betterproto2's per-class metadata
        namespace: dict[str, Any] = {"_SMALL": _SMALL, "_encode_varint": _encode_varint}
        lines = ["def encode(m):", "    p = []", "    a = p.append"]
        for i, (name, fm) in enumerate(meta.meta_by_field_name.items()):
            if not name.isidentifier() or keyword.iskeyword(name):
                raise TypeError(f"{cls.__name__}.{name} is not a field name")
            with warnings.catch_warnings():  # as betterproto2 does: a deprecated field's default warns
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                namespace[f"D{i}"] = meta.default_gen[name]()
            lines.append(f"    v = m.{name}")
            if fm.repeated or fm.proto_type == betterproto2.TYPE_MAP:
                namespace[f"W{i}"] = self._writer(fm)
                lines += [f"    if v is not None and v != D{i}:", f"        W{i}(v, a)"]
                continue
            wire, payload = self._payload(fm.proto_type, fm.unwrap)
            namespace[f"K{i}"], namespace[f"P{i}"] = _encode_varint(fm.number << 3 | wire), payload
            # proto3: zero values are not written; a message is written whenever it is set, even empty
            test = "v is not None" if fm.proto_type == betterproto2.TYPE_MESSAGE else f"v is not None and v != D{i}"
            lines += [f"    if {test}:", f"        a(K{i})"]
            if wire == LEN:
                body = 'v.encode("utf-8")' if payload is _encode_string else f"P{i}(v)"
                lines += [
                    f"        b = {body}",
                    "        n = len(b)",
                    "        a(_SMALL[n] if n < 0x80 else _encode_varint(n))",
                ]
                lines.append("        a(b)")
            elif payload is _encode_varint:  # a non-integer fails the comparison or the index: TypeError
                lines.append("        a(_SMALL[v] if 0 <= v < 0x80 else _encode_varint(v))")
            else:
                lines.append(f"        a(P{i}(v))")
        lines += ['    u = getattr(m, "_unknown_fields", b"")', "    if u:", "        a(u)", '    return b"".join(p)']
        exec(compile("\n".join(lines), f"<encoder of {cls.__name__}>", "exec"), namespace)  # our own source, no values
        encode: Callable[[Any], bytes] = namespace["encode"]
        self._compiled[cls] = encode
        return encode

    def _payload(self, kind: str, unwrap: Callable[[], type] | None) -> tuple[int, _Encode]:
        """The wire type of one value of proto type `kind`, and how its payload is encoded."""
        if kind in _VARINT_TYPES:
            if kind in (betterproto2.TYPE_SINT32, betterproto2.TYPE_SINT64):
                return VARINT, _zigzag_encode
            return VARINT, _encode_varint
        if kind in _FIXED_TYPES:
            wire, layout = _FIXED_TYPES[kind]
            return wire, layout.pack
        if kind == betterproto2.TYPE_STRING:
            return LEN, _encode_string
        if kind == betterproto2.TYPE_BYTES:
            return LEN, _encode_bytes
        if kind == betterproto2.TYPE_MESSAGE:
            if unwrap is not None and unwrap() is Timestamp:
                return LEN, _timestamp_payload
            if unwrap is not None:
                wrapper = unwrap  # Duration <- timedelta, ...
                return LEN, lambda value: self.encode(cast(Any, wrapper()).from_wrapped(value))
            return LEN, self._message_payload
        raise TypeError(f"proto type {kind!r} is not supported")

    def _message_payload(self, value: Any) -> bytes:
        if not isinstance(value, betterproto2.Message):
            raise TypeError(f"a message field holds a {type(value).__name__}")
        return self.encode(value)

    def _writer(self, fm: betterproto2.FieldMetadata) -> Callable[[Any, Callable[[bytes], None]], None]:
        """Writes a field's occurrences (key, length, payload) with `append`."""
        if fm.proto_type == betterproto2.TYPE_MAP:
            assert fm.map_meta is not None
            return self._map_writer(fm.number, fm.map_meta[0], fm.map_meta[1])
        wire, payload = self._payload(fm.proto_type, fm.unwrap)
        if fm.repeated and fm.proto_type in betterproto2.PACKED_TYPES:
            packed_key = _encode_varint(fm.number << 3 | LEN)

            def write_packed(values: Any, append: Callable[[bytes], None]) -> None:
                body = b"".join([payload(item) for item in values])
                append(packed_key)
                append(_encode_varint(len(body)))
                append(body)

            return write_packed
        key = _encode_varint(fm.number << 3 | wire)

        def write_one(value: Any, append: Callable[[bytes], None]) -> None:
            append(key)
            append(payload(value))

        def write_delimited(value: Any, append: Callable[[bytes], None]) -> None:
            body = payload(value)
            size = len(body)
            append(key)
            append(_SMALL[size] if size < 0x80 else _encode_varint(size))
            append(body)

        if wire == LEN:
            write_one = write_delimited

        if not fm.repeated:
            return write_one

        def write_each(values: Any, append: Callable[[bytes], None]) -> None:
            for value in values:
                write_one(value, append)

        return write_each

    def _map_writer(
        self, number: int, key_meta: betterproto2.FieldMetadata, value_meta: betterproto2.FieldMetadata
    ) -> Callable[[Any, Callable[[bytes], None]], None]:
        """Each map entry as a message of key (1) and value (2), both written even when zero."""
        entry_key = _encode_varint(number << 3 | LEN)
        writers = []
        for field_number, meta in ((1, key_meta), (2, value_meta)):
            wire, payload = self._payload(meta.proto_type, meta.unwrap)
            writers.append((_encode_varint(field_number << 3 | wire), wire == LEN, payload))
        (k_key, k_len, k_payload), (v_key, v_len, v_payload) = writers

        def write(mapping: Any, append: Callable[[bytes], None]) -> None:
            for k, v in mapping.items():
                k_body, v_body = k_payload(k), v_payload(v)
                entry = b"".join(
                    (
                        k_key,
                        _encode_varint(len(k_body)) if k_len else b"",
                        k_body,
                        v_key,
                        _encode_varint(len(v_body)) if v_len else b"",
                        v_body,
                    )
                )
                append(entry_key)
                append(_encode_varint(len(entry)))
                append(entry)

        return write


_STANDARD = Decoder()
_ENCODER = Encoder()


def decode_message(cls: type[MessageT], data: bytes) -> MessageT:
    """`data` decoded as a `cls`; raises WireError naming the first field that does not fit the schema."""
    return _STANDARD.decode(cls, data)


encode_message: Callable[[betterproto2.Message], bytes] = _ENCODER.encode
"""`bytes(message)`, byte for byte, without betterproto2's per-call overhead (the encoder's own method:
no extra call). A field holding a value of the wrong type raises TypeError (or ValueError), as `bytes()` does."""


def prepare_message(cls: type[betterproto2.Message]) -> None:
    """Builds the tables `decode_message` and `encode_message` use for `cls` now rather than on first use."""
    _STANDARD.prepare(cls)
    _ENCODER.prepare(cls)
