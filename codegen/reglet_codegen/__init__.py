"""Reglet code generator: turns a project's .proto files into everything in its generated/ folder.

`reglet-sdk codegen --config FILE` (what `make codegen` runs, also `python -m reglet_codegen`) reads
the `[tool.reglet-codegen]` table of FILE (`reglet_codegen.config`) and drives `grpc_tools.protoc`
(`reglet_codegen.driver`) with two plugins: betterproto2 for the typed messages, and
`reglet_codegen.plugin` (this package) for the WIT package, the guest-side stubs and the host-side
bindings. It ships in the reglet-sdk wheel; its dependencies are the `codegen` extra.
"""
