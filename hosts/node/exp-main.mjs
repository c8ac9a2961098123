import v8 from 'node:v8';
v8.setFlagsFromString('--experimental-wasm-extended-const');
import { Worker } from 'node:worker_threads';
import { readFileSync, readdirSync } from 'node:fs';
const dir = '/tmp/rn/out';
let t = performance.now();
const modules = {};
for (const f of readdirSync(dir).filter(f => f.endsWith('.wasm'))) modules[f] = await WebAssembly.compile(readFileSync(dir + '/' + f));
console.log('compile', performance.now() - t);
for (let i = 0; i < 3; i++) {
  t = performance.now();
  const w = new Worker(new URL('./exp-worker.mjs', import.meta.url), { workerData: { modules, dir }, stdout: true, stderr: true });
  w.stdout.on('data', d => console.log('GUEST OUT', String(d).slice(0, 200)));
  w.stderr.on('data', d => console.log('GUEST ERR', String(d).slice(0, 200)));
  const r = await new Promise((res, rej) => { w.on('message', res); w.on('error', rej); });
  console.log('call', i, performance.now() - t, r.slice ? r.slice(0, 80) : r);
  await w.terminate();
}
