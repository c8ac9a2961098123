// Glob matching exactly as the Python host does it: fnmatch.fnmatchcase for names and hosts, and
// reglet_sdk.host.policy.path_glob for paths (`**` any number of segments, `*`/`?` within one).

const SPECIAL = /[.*+?^${}()|[\]\\]/g;
const escape = (text) => text.replace(SPECIAL, "\\$&");
const cache = new Map();

function cached(kind, pattern, build) {
  const key = `${kind}\0${pattern}`;
  let regex = cache.get(key);
  if (regex === undefined) {
    regex = build(pattern);
    if (cache.size > 512) cache.clear();
    cache.set(key, regex);
  }
  return regex;
}

/** The character class of `[...]` starting after the `[` at `i`, or null when it is not closed. */
function bracket(pattern, i) {
  let j = i;
  if (pattern[j] === "!") j += 1;
  if (pattern[j] === "]") j += 1;
  while (j < pattern.length && pattern[j] !== "]") j += 1;
  if (j >= pattern.length) return null;
  let body = pattern.slice(i, j).replaceAll("\\", "\\\\");
  if (body === "") return { regex: "(?!)", end: j };
  if (body === "!") return { regex: ".", end: j };
  if (body[0] === "!") body = `^${body.slice(1)}`;
  else if (body[0] === "^" || body[0] === "[") body = `\\${body}`;
  return { regex: `[${body.replaceAll("[", "\\[")}]`, end: j };
}

function translateFnmatch(pattern) {
  let out = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i];
    if (char === "*") {
      while (pattern[i + 1] === "*") i += 1;
      out += ".*";
    } else if (char === "?") {
      out += ".";
    } else if (char === "[") {
      const klass = bracket(pattern, i + 1);
      if (klass === null) out += "\\[";
      else {
        out += klass.regex;
        i = klass.end;
      }
    } else {
      out += escape(char);
    }
  }
  return new RegExp(`^(?:${out})$`, "s");
}

/** Python's fnmatch.fnmatchcase(name, pattern): `*` matches anything (even `/`), case-sensitive. */
export function fnmatchcase(name, pattern) {
  return cached("fn", pattern, translateFnmatch).test(name);
}

function translatePath(pattern) {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    if (pattern.startsWith("**", i)) {
      i += 2;
      if (pattern[i] === "/") {
        out += "(?:.*/)?";
        i += 1;
      } else {
        out += ".*";
      }
      continue;
    }
    const char = pattern[i];
    if (char === "*") out += "[^/]*";
    else if (char === "?") out += "[^/]";
    else if (char === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) out += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replaceAll("\\", "\\\\");
        out += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else {
      out += escape(char);
    }
    i += 1;
  }
  if (out.endsWith("/.*")) out = `${out.slice(0, -3)}(?:/.*)?`; // `DIR/**` also matches DIR itself
  return new RegExp(`^(?:${out})$`, "s");
}

/** A regex for a path glob (reglet_sdk.host.policy.path_glob). */
export function pathGlob(pattern) {
  return cached("path", pattern, translatePath);
}

/** The part of a path pattern before its first glob character, cut back to a whole segment. */
export function literalPrefix(pattern) {
  const cuts = ["*", "?", "["].map((c) => pattern.indexOf(c)).filter((i) => i !== -1);
  const cut = cuts.length ? Math.min(...cuts) : pattern.length;
  if (cut === pattern.length) return pattern;
  const head = pattern.slice(0, cut);
  return head.includes("/") ? pattern.slice(0, head.lastIndexOf("/") + 1) : "";
}

/** Whether `text` has a glob character. */
export const hasGlob = (text) => /[*?[]/.test(text);
