// JSON as Python's `json` module reads and writes it, so both hosts print the same document.
//
// JavaScript numbers cannot tell 1 from 1.0, nor hold integers beyond 2**53; Python's json can, and
// the ABI keeps the difference (JsonValue int_value / big_int_value / number_value). Here a JSON
// value is: null, a boolean, a string, a bigint (an integer), a number (a float), an array, or a Map
// (an object, keys in insertion order: a plain object would move "1" before "a").

/** A JSON text that is not valid; the message says where (like Python's JSONDecodeError). */
export class JsonSyntaxError extends SyntaxError {
  constructor(message, line, column) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const CONSTANTS = [
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["true", true],
  ["false", false],
  ["null", null],
];

/** Parses JSON text the way Python's json.loads does (NaN/Infinity accepted, last duplicate key wins). */
export function parse(text) {
  let at = 0;
  const fail = (what) => {
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n");
    throw new JsonSyntaxError(`${what}: line ${line} column ${column} (char ${at})`, line, column);
  };
  const skip = () => {
    while (at < text.length && WHITESPACE.has(text[at])) at += 1;
  };
  const string = () => {
    let out = "";
    at += 1;
    for (;;) {
      if (at >= text.length) fail("Unterminated string starting at");
      const char = text[at];
      if (char === '"') {
        at += 1;
        return out;
      }
      if (char === "\\") {
        const next = text[at + 1];
        if (next === "u") {
          const hex = text.slice(at + 2, at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("Invalid \\uXXXX escape");
          out += String.fromCharCode(parseInt(hex, 16));
          at += 6;
        } else if (next in ESCAPES) {
          out += ESCAPES[next];
          at += 2;
        } else {
          fail("Invalid \\escape");
        }
      } else if (char < " ") {
        fail("Invalid control character at");
      } else {
        out += char;
        at += 1;
      }
    }
  };
  const value = () => {
    skip();
    const char = text[at];
    if (char === '"') return string();
    if (char === "{") {
      const object = new Map();
      at += 1;
      skip();
      if (text[at] === "}") {
        at += 1;
        return object;
      }
      for (;;) {
        skip();
        if (text[at] !== '"') fail("Expecting property name enclosed in double quotes");
        const key = string();
        skip();
        if (text[at] !== ":") fail("Expecting ':' delimiter");
        at += 1;
        object.set(key, value());
        skip();
        if (text[at] === ",") at += 1;
        else if (text[at] === "}") {
          at += 1;
          return object;
        } else fail("Expecting ',' delimiter");
      }
    }
    if (char === "[") {
      const array = [];
      at += 1;
      skip();
      if (text[at] === "]") {
        at += 1;
        return array;
      }
      for (;;) {
        array.push(value());
        skip();
        if (text[at] === ",") at += 1;
        else if (text[at] === "]") {
          at += 1;
          return array;
        } else fail("Expecting ',' delimiter");
      }
    }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (number && number[0] !== "-") {
      at += number[0].length;
      return number[1] || number[2] ? Number(number[0]) : BigInt(number[0]);
    }
    for (const [word, constant] of CONSTANTS) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return constant;
      }
    }
    return fail("Expecting value");
  };
  const result = value();
  skip();
  if (at !== text.length) fail("Extra data");
  return result;
}

/** Python's repr() of a float: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function floatRepr(x) {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let text;
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const sign = exponent < 0 ? "-" : "+";
    text = `${digits[0]}${fraction}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  } else if (exponent < 0) {
    text = `0.${"0".repeat(-exponent - 1)}${digits}`;
  } else {
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
    const fraction = digits.slice(exponent + 1) || "0";
    text = `${whole}.${fraction}`;
  }
  return negative ? `-${text}` : text;
}

function quote(text) {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0);
    if (char === '"') out += '\\"';
    else if (char === "\\") out += "\\\\";
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (char === "\b") out += "\\b";
    else if (char === "\f") out += "\\f";
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += char;
  }
  return `${out}"`;
}

/**
 * Python's json.dumps(value, indent=2, ensure_ascii=False). Accepts the values parse() returns, plus
 * plain objects (keys in their own order) and `int(...)` for integers kept in JS numbers.
 */
export function dumps(value, indent = "") {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return floatRepr(value);
  if (typeof value === "string") return quote(value);
  if (value instanceof Int) return String(value.value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((item) => inner + dumps(item, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${quote(k)}: ${dumps(v, inner)}`).join(",\n")}\n${indent}}`;
}

/** An integer kept in a JS number (counts, milliseconds) that must print as an int, not a float. */
export class Int {
  constructor(value) {
    this.value = typeof value === "bigint" ? value : Math.trunc(Number(value));
  }
}

/** Wraps a JS number that is an integer (a count, a duration) so dumps() prints it as Python's int. */
export const int = (value) => new Int(value);
