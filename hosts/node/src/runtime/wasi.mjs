// The WASI a plugin gets (inside its worker): preview2-shim's implementation, locked down, because
// the shim's defaults are not a sandbox (the whole process environment, real sockets, the host's
// stdin, no read-only directories):
// - environment: only the granted variables; no arguments; no initial working directory;
// - filesystem: only the granted directories, each read-only unless write was granted (the shim has
//   no read-only mode: every mutating Descriptor method checks a per-descriptor flag here, inherited
//   by what openAt opens from it; the shim itself keeps paths inside their preopen, symlinks included);
// - sockets: none (TCP, UDP and name lookup answer access-denied; network goes through host functions);
// - stdin: empty (/dev/null); stdout/stderr: this worker's streams, which the host logs line by line;
// - no terminal, and exit() stops the plugin instead of the process.

import * as shim from "@bytecodealliance/preview2-shim";

const MUTATING = [
  "write",
  "writeViaStream",
  "appendViaStream",
  "setSize",
  "setTimes",
  "setTimesAt",
  "createDirectoryAt",
  "symlinkAt",
  "unlinkFileAt",
  "removeDirectoryAt",
];
const DENIED = "not-permitted"; // what wasmtime answers for a directory preopened without write

/** The guest called wasi:cli/exit: the call ends (reported as a panic), the host carries on. */
export class GuestExit extends Error {}

/** Makes the shim's Descriptor honour read-only preopens; returns the per-descriptor flag map. */
function lockDescriptors(Descriptor) {
  const writable = new WeakMap();
  const proto = Descriptor.prototype;
  const mayWrite = (descriptor) => writable.get(descriptor) === true;
  const wrap = (name, check) => {
    const original = proto[name];
    proto[name] = function guarded(...args) {
      if (!check(this, ...args)) throw DENIED;
      return original.apply(this, args);
    };
  };
  for (const name of MUTATING) wrap(name, (self) => mayWrite(self));
  wrap("renameAt", (self, _old, target) => mayWrite(self) && mayWrite(target));
  wrap("linkAt", (self, _flags, _old, target) => mayWrite(self) && mayWrite(target));
  const openAt = proto.openAt;
  proto.openAt = function guardedOpenAt(pathFlags, path, openFlags, descriptorFlags) {
    const writes = openFlags.create || openFlags.truncate || descriptorFlags.write || descriptorFlags.mutateDirectory;
    if (writes && !mayWrite(this)) throw DENIED;
    // The shim refuses mutateDirectory outright; in a writable tree it is what the guest may do anyway.
    const flags = { ...descriptorFlags, mutateDirectory: false };
    const opened = openAt.call(this, pathFlags, path, openFlags, flags);
    writable.set(opened, mayWrite(this));
    return opened;
  };
  return writable;
}

function emptyStdin(filesystem) {
  const dev = filesystem._createPreopenDescriptor("/dev"); // never given to the guest
  const devNull = dev.openAt({ symlinkFollow: false }, "null", {}, { read: true });
  return devNull.readViaStream(0n);
}

const denied = () => {
  throw "access-denied";
};

/** The WASI part of the import object: `environment` is [[name, value]...], `preopens` [{hostPath, guestPath, writable}]. */
export function wasiImports({ environment, preopens }) {
  const { cli, clocks, filesystem, io, random, sockets } = shim;
  cli._setEnv(Object.fromEntries(environment));
  cli._setArgs([]);
  cli._setCwd(undefined);
  cli._setStdin(emptyStdin(filesystem));
  const writable = lockDescriptors(filesystem.types.Descriptor);
  filesystem._clearPreopens();
  for (const preopen of preopens) filesystem._addPreopen(preopen.guestPath, preopen.hostPath);
  for (const [descriptor, guestPath] of filesystem._getPreopens()) {
    writable.set(descriptor, preopens.find((p) => p.guestPath === guestPath)?.writable === true);
  }
  sockets._denyTcp();
  sockets._denyUdp();
  sockets._denyDnsLookup();
  const noTerminal = () => undefined;
  return {
    "wasi:cli/environment": cli.environment,
    "wasi:cli/exit": {
      exit(status) {
        throw new GuestExit(`the plugin called exit (${status?.tag === "err" ? "failure" : "success"})`);
      },
      exitWithCode(code) {
        throw new GuestExit(`the plugin called exit(${code})`);
      },
    },
    "wasi:cli/stdin": cli.stdin,
    "wasi:cli/stdout": cli.stdout,
    "wasi:cli/stderr": cli.stderr,
    "wasi:cli/terminal-input": cli.terminalInput,
    "wasi:cli/terminal-output": cli.terminalOutput,
    "wasi:cli/terminal-stdin": { getTerminalStdin: noTerminal },
    "wasi:cli/terminal-stdout": { getTerminalStdout: noTerminal },
    "wasi:cli/terminal-stderr": { getTerminalStderr: noTerminal },
    "wasi:clocks/monotonic-clock": clocks.monotonicClock,
    "wasi:clocks/wall-clock": clocks.wallClock,
    "wasi:filesystem/preopens": filesystem.preopens,
    "wasi:filesystem/types": filesystem.types,
    "wasi:io/error": io.error,
    "wasi:io/poll": io.poll,
    "wasi:io/streams": io.streams,
    "wasi:random/random": random.random,
    "wasi:random/insecure": random.insecure,
    "wasi:random/insecure-seed": random.insecureSeed,
    "wasi:sockets/instance-network": sockets.instanceNetwork,
    "wasi:sockets/network": sockets.network,
    "wasi:sockets/ip-name-lookup": { ...sockets.ipNameLookup, resolveAddresses: denied },
    "wasi:sockets/tcp": sockets.tcp,
    "wasi:sockets/tcp-create-socket": { createTcpSocket: denied },
    "wasi:sockets/udp": sockets.udp,
    "wasi:sockets/udp-create-socket": { createUdpSocket: denied },
  };
}
