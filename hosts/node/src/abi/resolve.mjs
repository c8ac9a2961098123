// Module resolution hook: lets generated/js/ (outside this package) import @bufbuild/protobuf.
//
// protoc-gen-es writes `import ... from "@bufbuild/protobuf"` into generated/js/reglet/v1/*_pb.js.
// Node resolves a bare specifier from the importing file's folder upwards, and generated/ has no
// node_modules of its own: the pinned runtime lives in hosts/node/node_modules. This hook resolves
// exactly those imports as if this package had made them, so host and messages share one copy of the
// runtime. Registered by ./register.mjs (`node --import` or `module.register`).

const GENERATED = new URL("../../../../generated/js/", import.meta.url).href;
const THIS_PACKAGE = new URL("../../package.json", import.meta.url).href;
const RUNTIME = /^@bufbuild\/protobuf(\/|$)/;

/** The resolve hook (see the Node.js `module` documentation, "Customization Hooks"). */
export async function resolve(specifier, context, nextResolve) {
  if (RUNTIME.test(specifier) && context.parentURL?.startsWith(GENERATED)) {
    return nextResolve(specifier, { ...context, parentURL: THIS_PACKAGE });
  }
  return nextResolve(specifier, context);
}
