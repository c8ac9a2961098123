// The plugin's linear-memory limit (the Python host's store limit, 100 MiB by default). V8 has no
// per-instance memory limit, so each core module's own memories get a declared maximum of the limit
// before compilation: memory.grow beyond it fails (returns -1) exactly as under wasmtime's limit.

const PAGE = 64 * 1024;
const MEMORY_SECTION = 5;

function readLeb(bytes, at) {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    const byte = bytes[at];
    at += 1;
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (!(byte & 0x80)) return [value, at];
  }
}

function leb(value) {
  const out = [];
  let rest = BigInt(value);
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest) byte |= 0x80;
    out.push(byte);
  } while (rest);
  return out;
}

function limitMemories(body, maxPages) {
  let [count, at] = readLeb(body, 0);
  const out = [...leb(count)];
  for (; count > 0n; count -= 1n) {
    const flags = body[at];
    at += 1;
    let initial;
    let maximum = null;
    [initial, at] = readLeb(body, at);
    if (flags & 1) [maximum, at] = readLeb(body, at);
    const capped = maximum === null || maximum > maxPages ? maxPages : maximum;
    out.push(flags | 1, ...leb(initial), ...leb(initial > capped ? initial : capped));
  }
  return Uint8Array.from(out);
}

/** A copy of a core module whose memories may grow to at most `limitMib` MiB (others unchanged). */
export function limitMemory(wasm, limitMib) {
  const maxPages = BigInt(Math.floor((limitMib * 1024 * 1024) / PAGE));
  const parts = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, start] = readLeb(wasm, at + 1);
    const end = start + Number(size);
    if (id === MEMORY_SECTION) {
      const body = limitMemories(wasm.subarray(start, end), maxPages);
      parts.push(Uint8Array.of(id, ...leb(body.length)), body);
    } else {
      parts.push(wasm.subarray(at, end));
    }
    at = end;
  }
  return Buffer.concat(parts);
}
