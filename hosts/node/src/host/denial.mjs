// What every host function answers when a grant is missing (as reglet_sdk.host.policy.denial), and the
// path it names (as reglet_sdk.host.policy.lexical_path).

import path from "node:path";
import { errorDetail } from "../abi/frames.mjs";

/**
 * `p` as the plugin gave it, normalised on its text alone (as reglet_sdk.host.policy.lexical_path): a
 * denial names this, so it tells the plugin nothing about the host's files (no symlink resolved, no
 * search path consulted); the decision itself is taken on the resolved path.
 */
export function lexicalPath(p) {
  let normal = path.posix.normalize(p);
  if (normal.length > 1 && normal.endsWith("/")) normal = normal.slice(0, -1);
  return normal.startsWith("//") ? `/${normal.replace(/^\/+/, "")}` : normal;
}

/** The error for a request the plugin was not granted (`rule` needed); nothing was done. */
export function denial(rule) {
  return errorDetail(
    "capability",
    rule,
    `the plugin was not granted ${rule}, so nothing was done. If the plugin should have it, run it with ` +
      `\`--grant ${rule}\` (after reviewing why it needs it).`,
    { details: { rule } },
  );
}
