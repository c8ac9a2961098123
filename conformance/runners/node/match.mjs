// Expected values of conformance cases: literals matched as subsets, and `$` matchers. The same rules
// as conformance/match.py (the reference; see its docstring and docs/abi.md):
// - an object whose keys do not start with a single `$` matches when every expected key is present
//   and matches (extra actual keys are allowed); a literal key starting with `$` is written `$$`;
// - an array matches an array of the same length, element by element;
// - numbers match by value, booleans only booleans, other scalars exactly;
// - an object whose keys all start with a single `$` is a matcher: $any, $type, $regex, $contains,
//   $not_contains, $min, $max, $len, $exact, $absent, $all.

export const ABSENT = Symbol("absent");

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** Whether `expected` is a `$` matcher object. */
export function isMatcher(expected) {
  if (!isObject(expected)) return false;
  const keys = Object.keys(expected);
  return keys.length > 0 && keys.every((key) => key.startsWith("$") && !key.startsWith("$$"));
}

const literalKey = (key) => (key.startsWith("$$") ? key.slice(1) : key);

/** The JSON type of a value. */
export function typeName(value) {
  if (value === ABSENT) return "absent";
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "object") return "object";
  return typeof value; // string, boolean
}

function hasType(value, wanted) {
  const actual = typeName(value);
  return actual === wanted || (wanted === "number" && actual === "integer");
}

function show(value) {
  const text = value === ABSENT ? "<absent>" : JSON.stringify(value);
  return text.length <= 300 ? text : `${text.slice(0, 300)}...`;
}

function bound(key, wanted, actual, path) {
  if (typeof actual !== "number") return [`${path}: expected a number for ${key}, got ${typeName(actual)} ${show(actual)}`];
  if ((key === "$min" && actual < wanted) || (key === "$max" && actual > wanted)) {
    return [`${path}: ${actual} is ${key === "$min" ? "below" : "above"} ${wanted}`];
  }
  return [];
}

function stringCondition(key, wanted, actual, path) {
  if (typeof actual !== "string") return [`${path}: expected a string for ${key}, got ${typeName(actual)} ${show(actual)}`];
  if (key === "$regex" && !new RegExp(wanted).test(actual)) return [`${path}: ${show(actual)} does not match /${wanted}/`];
  if (key === "$contains" && !actual.includes(wanted)) return [`${path}: ${show(actual)} does not contain ${show(wanted)}`];
  if (key === "$not_contains" && actual.includes(wanted)) return [`${path}: ${show(actual)} contains ${show(wanted)}`];
  return [];
}

function matcherProblems(expected, actual, path) {
  if ("$absent" in expected) return actual === ABSENT ? [] : [`${path}: expected to be absent, got ${show(actual)}`];
  if (actual === ABSENT) return [`${path}: missing (expected ${show(expected)})`];
  const problems = [];
  for (const [key, wanted] of Object.entries(expected)) {
    if (key === "$type" && !hasType(actual, wanted)) problems.push(`${path}: expected a ${wanted}, got ${typeName(actual)} ${show(actual)}`);
    else if (["$regex", "$contains", "$not_contains"].includes(key)) problems.push(...stringCondition(key, wanted, actual, path));
    else if (key === "$min" || key === "$max") problems.push(...bound(key, wanted, actual, path));
    else if (key === "$len") {
      const length = typeof actual === "string" || Array.isArray(actual) ? actual.length : isObject(actual) ? Object.keys(actual).length : -1;
      if (length !== wanted) problems.push(`${path}: expected length ${wanted}, got ${show(actual)}`);
    } else if (key === "$exact") {
      problems.push(...mismatches(wanted, actual, path));
      if (isObject(actual)) {
        const allowed = new Set(Object.keys(wanted).map(literalKey));
        const extra = Object.keys(actual).filter((name) => !allowed.has(name));
        if (extra.length) problems.push(`${path}: unexpected keys ${JSON.stringify(extra.sort())}`);
      }
    } else if (key === "$all") {
      for (const item of wanted) problems.push(...mismatches(item, actual, path));
    }
  }
  return problems;
}

/** Every way `actual` fails to match `expected` (empty when it matches). */
export function mismatches(expected, actual, path = "$") {
  if (isMatcher(expected)) return matcherProblems(expected, actual, path);
  if (actual === ABSENT) return [`${path}: missing (expected ${show(expected)})`];
  if (isObject(expected)) {
    if (!isObject(actual)) return [`${path}: expected an object, got ${typeName(actual)} ${show(actual)}`];
    return Object.entries(expected).flatMap(([key, wanted]) => {
      const name = literalKey(key);
      return mismatches(wanted, Object.hasOwn(actual, name) ? actual[name] : ABSENT, `${path}.${name}`);
    });
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: expected ${show(expected)}, got ${show(actual)}`];
    return expected.flatMap((item, index) => mismatches(item, actual[index], `${path}[${index}]`));
  }
  return expected === actual ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}
