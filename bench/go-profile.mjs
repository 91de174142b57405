// Reads a Go CPU profile (what nats-server's /debug/pprof/profile returns: gzipped protobuf, profile.proto) and
// lists the functions with the most samples, self and inclusive: enough to see where nats-server spends its time
// without the Go toolchain. Usage: node bench/go-profile.mjs cpu.pprof [top]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

function* fields(buf) {
  let i = 0;
  const varint = () => {
    let r = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[i++];
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return r;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) yield [key >> 3, varint()];
    else if (wire === 2) {
      const len = Number(varint());
      yield [key >> 3, buf.subarray(i, i + len)];
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
}
/** A repeated integer field: packed (bytes) or one value. */
function ints(v) {
  if (typeof v === 'bigint') return [v];
  const out = [];
  for (let i = 0; i < v.length; ) {
    let r = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = v[i++];
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    out.push(r);
  }
  return out;
}

export function summarizeGoProfile(gz, top = 20) {
  const buf = gunzipSync(gz);
  const strings = [];
  const samples = [];
  const locations = new Map();
  const functions = new Map();
  for (const [f, v] of fields(buf)) {
    if (f === 2) {
      const s = { locs: [], vals: [] };
      for (const [g, w] of fields(v)) {
        if (g === 1) s.locs.push(...ints(w));
        if (g === 2) s.vals.push(...ints(w));
      }
      samples.push(s);
    } else if (f === 4) {
      let id;
      const fns = [];
      for (const [g, w] of fields(v)) {
        if (g === 1) id = w;
        if (g === 4) for (const [h, x] of fields(w)) if (h === 1) fns.push(x);
      }
      locations.set(id, fns);
    } else if (f === 5) {
      let id;
      let name;
      for (const [g, w] of fields(v)) {
        if (g === 1) id = w;
        if (g === 2) name = w;
      }
      functions.set(id, name);
    } else if (f === 6) strings.push(Buffer.from(v).toString());
  }
  const name = (fid) => strings[Number(functions.get(fid))].replace(/^github\.com\/nats-io\/nats-server(\/v2)?\/server\./, '');
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const s of samples) {
    const v = Number(s.vals.at(-1)); // cpu nanoseconds
    total += v;
    const stack = s.locs.flatMap((l) => (locations.get(l) ?? []).map(name));
    self.set(stack[0], (self.get(stack[0]) ?? 0) + v);
    for (const fn of new Set(stack)) inclusive.set(fn, (inclusive.get(fn) ?? 0) + v);
  }
  const list = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`).join('\n');
  return `nats-server CPU profile: ${(total / 1e9).toFixed(2)} s of CPU\n-- self --\n${list(self)}\n-- inclusive --\n${list(inclusive)}`;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  console.log(summarizeGoProfile(readFileSync(process.argv[2]), Number(process.argv[3] ?? 25)));
}
