// The ABI round trip in the Node host: examples/abi_roundtrip transpiled and instantiated by the Node
// host's own runtime (jco transpile cache, compiled core modules, locked-down WASI), with every
// reglet:abi/host import answering the vector's response frame and recording what it received. The
// same protocol as the Python runner (see conformance/cases/roundtrip.yaml); every frame is compared
// with conformance/vectors byte for byte. The vectors themselves are also checked against this
// language's codec (protobuf-es, generated from the same .proto): binary and JSON decode and re-encode
// to exactly the vector's bytes.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fromBinary, fromJson, toBinary } from "@bufbuild/protobuf";
import { services } from "../../../hosts/node/src/abi/messages.mjs";
import { compileCoreModules, transpiled } from "../../../hosts/node/src/runtime/transpile.mjs";
import { wasiImports } from "../../../hosts/node/src/runtime/wasi.mjs";

const read = (directory, name) => readFileSync(path.join(directory, name), "ascii");
const stem = (service, method, part) => `${service.name.toLowerCase()}.${method.witName}.${part}`;

/** Problems of one vector against protobuf-es: decode and re-encode, from binary and from JSON. */
export function codecProblems(vectors) {
  const problems = [];
  for (const service of services.SERVICES) {
    for (const method of service.methods) {
      for (const [part, schema] of [["request", method.requestSchema], ["response", method.responseSchema]]) {
        const name = stem(service, method, part);
        const binary = new Uint8Array(readFileSync(path.join(vectors, `${name}.bin`)));
        const same = (bytes) => Buffer.from(bytes).equals(Buffer.from(binary));
        if (Buffer.from(binary).toString("base64") !== read(vectors, `${name}.b64`)) problems.push(`${name}: .b64 is not the frame of .bin`);
        if (!same(toBinary(schema, fromBinary(schema, binary)))) problems.push(`${name}: protobuf-es re-encodes .bin differently`);
        const json = JSON.parse(readFileSync(path.join(vectors, `${name}.json`), "utf8"));
        if (!same(toBinary(schema, fromJson(schema, json)))) problems.push(`${name}: protobuf-es encodes .json differently from .bin`);
      }
    }
  }
  return problems;
}

/** Every frame that differs from the vectors, in either direction, for each Plugin rpc. */
export async function roundtripProblems(wasmFile, vectors) {
  const wasm = readFileSync(wasmFile);
  const entry = await transpiled(wasmFile, wasm);
  const modules = await compileCoreModules(entry, 100);
  const { instantiate } = await import(entry.jsUrl);
  const wasi = wasiImports({ environment: [["ROUNDTRIP_MODE", "exact"]], preopens: [] });
  const problems = [];
  for (const method of services.PLUGIN.methods) {
    const received = new Map();
    const host = Object.fromEntries(
      services.HOST.methods.map((hostMethod) => {
        const answer = read(vectors, `${stem(services.HOST, hostMethod, "response")}.b64`);
        return [hostMethod.jsName, (frame) => (received.set(hostMethod.name, [...(received.get(hostMethod.name) ?? []), frame]), answer)];
      }),
    );
    const instance = instantiate((name) => modules[name], { ...wasi, [services.HOST.jcoImportName]: host });
    const answer = instance[services.PLUGIN.witInterface][method.jsName](read(vectors, `${stem(services.PLUGIN, method, "request")}.b64`));
    if (answer !== read(vectors, `${stem(services.PLUGIN, method, "response")}.b64`)) {
      problems.push(`Plugin.${method.name}: the answer differs from the vector: ${describeAnswer(method, answer)}`);
    }
    for (const hostMethod of services.HOST.methods) {
      const sent = received.get(hostMethod.name) ?? [];
      const wanted = read(vectors, `${stem(services.HOST, hostMethod, "request")}.b64`);
      if (sent.length !== 1 || sent[0] !== wanted) {
        problems.push(`Plugin.${method.name}: Host.${hostMethod.name} received ${sent.length} frame(s), not the vector`);
      }
    }
  }
  return problems;
}

function describeAnswer(method, answer) {
  try {
    const response = fromBinary(method.responseSchema, new Uint8Array(Buffer.from(answer, "base64")));
    return response.error ? `guest error ${response.error.type}: ${response.error.message}` : "a different message";
  } catch (error) {
    return `not a frame (${error.message})`;
  }
}
