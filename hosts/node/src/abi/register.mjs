// Registers ./resolve.mjs so the generated messages in generated/js/ find @bufbuild/protobuf.
// Use it before anything imports the generated code: `node --import ./src/abi/register.mjs ...`, or
// import this module first and load the rest with a dynamic import() (as bin/reglet-node.mjs does).
import { register } from "node:module";

register("./resolve.mjs", import.meta.url);
