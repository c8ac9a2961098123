"""Reglet code generator: turns proto/reglet/v1/*.proto into everything in generated/.

`python -m codegen` (what `make codegen` runs) drives `grpc_tools.protoc` with two plugins:
betterproto2 for the typed messages, and `codegen.plugin` (this package) for the WIT package, the
guest-side stubs and the host-side bindings.
"""
