// Module resolution hook: the conformance runner's own imports of "yaml" and "@bufbuild/protobuf"
// resolve as if the Node host's package made them, so the runner uses the host's pinned, locked
// dependencies (hosts/node/package-lock.json) and the same protobuf runtime as the generated messages.
// Registered by ./setup.mjs.

const RUNNER = new URL("./", import.meta.url).href;
const HOST_PACKAGE = new URL("../../../hosts/node/package.json", import.meta.url).href;
const SHARED = /^(yaml|@bufbuild\/protobuf)(\/|$)/;

/** The resolve hook (see the Node.js `module` documentation, "Customization Hooks"). */
export async function resolve(specifier, context, nextResolve) {
  if (SHARED.test(specifier) && context.parentURL?.startsWith(RUNNER)) {
    return nextResolve(specifier, { ...context, parentURL: HOST_PACKAGE });
  }
  return nextResolve(specifier, context);
}
