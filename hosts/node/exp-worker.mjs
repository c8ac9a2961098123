import { workerData, parentPort } from 'node:worker_threads';
import * as shim from '@bytecodealliance/preview2-shim';
const t0 = performance.now();
const { instantiate } = await import(workerData.dir + '/plugin.js');
const t1 = performance.now();
const imports = {
  'reglet:abi/host': { log: (r) => { return ''; }, execCommand: () => '', dnsLookup: () => '', httpRequest: () => '', tcpConnect: () => '', smtpConnect: () => '', fsStat: () => '' },
  'wasi:cli/environment': shim.cli.environment, 'wasi:cli/exit': shim.cli.exit, 'wasi:cli/stderr': shim.cli.stderr, 'wasi:cli/stdin': shim.cli.stdin, 'wasi:cli/stdout': shim.cli.stdout,
  'wasi:cli/terminal-input': shim.cli.terminalInput, 'wasi:cli/terminal-output': shim.cli.terminalOutput, 'wasi:cli/terminal-stderr': shim.cli.terminalStderr, 'wasi:cli/terminal-stdin': shim.cli.terminalStdin, 'wasi:cli/terminal-stdout': shim.cli.terminalStdout,
  'wasi:clocks/monotonic-clock': shim.clocks.monotonicClock, 'wasi:clocks/wall-clock': shim.clocks.wallClock,
  'wasi:filesystem/preopens': shim.filesystem.preopens, 'wasi:filesystem/types': shim.filesystem.types,
  'wasi:io/error': shim.io.error, 'wasi:io/poll': shim.io.poll, 'wasi:io/streams': shim.io.streams, 'wasi:random/random': shim.random.random,
  'wasi:sockets/instance-network': shim.sockets.instanceNetwork, 'wasi:sockets/ip-name-lookup': shim.sockets.ipNameLookup, 'wasi:sockets/network': shim.sockets.network,
  'wasi:sockets/tcp': shim.sockets.tcp, 'wasi:sockets/tcp-create-socket': shim.sockets.tcpCreateSocket, 'wasi:sockets/udp': shim.sockets.udp, 'wasi:sockets/udp-create-socket': shim.sockets.udpCreateSocket,
};
shim.cli._setEnv({});
const inst = instantiate((name) => workerData.modules[name], imports);
const t2 = performance.now();
const out = inst.plugin.describe('');
const t3 = performance.now();
const out2 = inst.plugin.check('');
const t4 = performance.now();
parentPort.postMessage(`import ${(t1-t0)|0} inst ${(t2-t1)|0} describe ${(t3-t2)|0} check ${(t4-t3)|0} ` + out.slice(0, 40));
