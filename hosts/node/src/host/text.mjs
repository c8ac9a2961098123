// Small formatting helpers so messages read as the Python host's do.

import util from "node:util";

const stripZeros = (text) => (text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text);

/** Python's format(x, "g"): 6 significant digits, trailing zeros dropped (30 -> "30", 0.5 -> "0.5"). */
export function fmtG(x) {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : Number.isNaN(x) ? "nan" : "-inf";
  const [mantissa, exponentText] = x.toExponential(5).split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    return `${stripZeros(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return stripZeros(x.toFixed(Math.max(0, 5 - exponent)));
}

const SYSTEM_ERRORS = util.getSystemErrorMap();
const RESOLVER_ERRORS = {
  ENOTFOUND: "Name or service not known",
  EAI_AGAIN: "Temporary failure in name resolution",
  ENODATA: "No address associated with hostname",
  EAI_FAIL: "Non-recoverable failure in name resolution",
};

/** The C library's text for an error (like Python's OSError.strerror): "Connection refused", ... */
export function strerror(error) {
  if (error?.code in RESOLVER_ERRORS) return RESOLVER_ERRORS[error.code];
  const entry = typeof error?.errno === "number" ? SYSTEM_ERRORS.get(error.errno) : undefined;
  if (entry === undefined) return error?.message ?? String(error);
  return entry[1].charAt(0).toUpperCase() + entry[1].slice(1);
}

/** Milliseconds since `started` (a performance.now() value), as an integer. */
export const elapsedMs = (started) => Math.floor(performance.now() - started);
