#!/usr/bin/env node
// reglet-node: run Reglet plugin components in the Node.js host (see hosts/node/README.md).
import v8 from "node:v8";

// componentize-py's core modules use extended constant expressions, which Node 20 compiles only with
// this flag (Node 22 has them on by default). V8 flags are per process, so every worker gets it too.
v8.setFlagsFromString("--experimental-wasm-extended-const");
// generated/js/ imports @bufbuild/protobuf from this package's node_modules (see src/abi/resolve.mjs).
await import("../src/abi/register.mjs");
const { main } = await import("../src/cli.mjs");
process.exitCode = await main(process.argv.slice(2));
