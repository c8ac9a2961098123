"""`python -m conformance.export_vectors [--check]`: the ABI round-trip vectors, as files.

For every rpc of both services (Host and Plugin), the fully populated request and response that
`reglet_sdk.testing.messages.populated` builds from the seed "<Service>.<Rpc>/<part>" (the same
values the round-trip plugin, examples/abi_roundtrip, builds inside the component) are written to
conformance/vectors/ three ways:

- `<service>.<wit-function>.<part>.bin`: the protobuf encoding;
- `<service>.<wit-function>.<part>.b64`: the frame that crosses the WIT boundary (standard base64,
  padded, no newline);
- `<service>.<wit-function>.<part>.json`: the message in proto3 JSON, for reading and for codecs
  that want to compare decoded values;

and `index.json` lists every rpc with its WIT names, message types, files, sizes and digests. A host
in any language can compare what it sends and receives with these files byte for byte. `--check`
exits 1 when the files on disk differ from what the .proto files and `populated` give today.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from conformance.cases import ROOT
from reglet_abi._rpc import RpcMethod, encode_frame
from reglet_abi.reglet.v1 import services
from reglet_sdk.testing.messages import populated, rpc_seed

VECTORS_DIR = ROOT / "conformance" / "vectors"
PACKAGE = "reglet.v1"


def _json_text(document: object) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _part(method: RpcMethod[Any, Any], service: str, part: str, files: dict[str, bytes]) -> dict[str, Any]:
    cls = method.request_type if part == "request" else method.response_type
    seed = rpc_seed(method, part)
    message = populated(cls, seed)
    encoded = bytes(message)
    stem = f"{service.lower()}.{method.wit_name}.{part}"
    files[f"{stem}.bin"] = encoded
    files[f"{stem}.b64"] = encode_frame(encoded).encode("ascii")
    files[f"{stem}.json"] = _json_text(message.to_dict())
    return {
        "type": f"{PACKAGE}.{cls.__name__}",
        "seed": seed,
        "binary": f"{stem}.bin",
        "frame": f"{stem}.b64",
        "json": f"{stem}.json",
        "size": len(encoded),
        "sha256": hashlib.sha256(encoded).hexdigest(),
    }


def vector_files() -> dict[str, bytes]:
    """Every vector file, by name, as the current .proto files and `populated` give them."""
    files: dict[str, bytes] = {}
    rpcs = []
    for service in services.SERVICES:
        for method in service.methods:
            rpcs.append(
                {
                    "service": service.full_name,
                    "wit_interface": service.wit_interface,
                    "exported_by_plugin": service.exported,
                    "rpc": method.name,
                    "wit_function": method.wit_name,
                    "request": _part(method, service.name, "request", files),
                    "response": _part(method, service.name, "response", files),
                }
            )
    files["index.json"] = _json_text(
        {
            "about": "ABI round-trip vectors (conformance/export_vectors.py, docs/abi.md). Generated; do not edit.",
            "wit_package": services.WIT_PACKAGE,
            "frame": "standard base64 (RFC 4648, padded) of the protobuf encoding",
            "rpcs": rpcs,
        }
    )
    return files


def _content(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def stale(directory: Path = VECTORS_DIR) -> list[str]:
    """The vector files that are missing, different or left over in `directory`."""
    wanted = vector_files()
    problems = [name for name, data in wanted.items() if _content(directory / name) != data]
    problems += [path.name for path in directory.glob("*") if path.name not in wanted]
    return sorted(set(problems))


def write(directory: Path = VECTORS_DIR) -> list[str]:
    """Writes the vectors (removing files that no longer belong); returns the names written."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = vector_files()
    for path in directory.glob("*"):
        if path.name not in wanted:
            path.unlink()
    changed = []
    for name, data in wanted.items():
        path = directory / name
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Writes the vectors, or with --check reports stale ones."""
    parser = argparse.ArgumentParser(prog="python -m conformance.export_vectors", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the files on disk are stale")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        if problems:
            print(
                f"conformance/vectors is stale ({', '.join(problems)}); run `make vectors` and commit the result.",
                file=sys.stderr,
            )
            return 1
        print("conformance/vectors is up to date")
        return 0
    changed = write()
    print(f"wrote {len(changed)} file(s) to {VECTORS_DIR.relative_to(ROOT)}" if changed else "vectors unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
