// Loaded with `node --import ./test/setup.mjs --test`: what bin/reglet-node.mjs does before the host
// runs (the Node 20 wasm flag, and the resolve hook for generated/js/), for tests that import src/.
import v8 from "node:v8";

v8.setFlagsFromString("--experimental-wasm-extended-const");
await import("../src/abi/register.mjs");
