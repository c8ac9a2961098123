// Loaded with `node --import ./conformance/runners/node/setup.mjs --test ...`: what the Node host's
// bin/reglet-node.mjs does before it runs (the Node 20 WebAssembly flag componentize-py's modules need,
// and the hook that lets generated/js/ find @bufbuild/protobuf), plus this runner's own hook. When the
// Node host is missing, the runner's tests say so (they fail; they are not skipped).
import { existsSync } from "node:fs";
import { register } from "node:module";
import v8 from "node:v8";

v8.setFlagsFromString("--experimental-wasm-extended-const");
register("./resolve.mjs", import.meta.url);
const hostHook = new URL("../../../hosts/node/src/abi/register.mjs", import.meta.url);
if (existsSync(hostHook)) await import(hostHook.href);
