// Brings up the whole mesh on one machine (`npm start` builds first): the NATS at NATS_URL if it answers, else a local
// nats-server with its data under .data/, then ingress, scheduler and adapters from dist/, their logs pretty-printed
// with a coloured prefix. Ctrl-C or SIGTERM stops the apps (bounded), then the nats-server this script started.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import PinoPretty from 'pino-pretty';

const root = fileURLToPath(new URL('..', import.meta.url));
const testingJs = join(root, 'dist/libs/testing/src/index.js');
if (!existsSync(testingJs)) fail(`${testingJs} is missing: run npm run build first (npm start does it for you)`);
const { describeExit, findNatsServer, isPortOpen, spawnLogged, startApp, waitUntil } = await import(pathToFileURL(testingJs).href);

const color = PinoPretty.isColorSupported && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const tags = { nats: paint(36, '[nats]'), adapters: paint(35, '[adapters]'), scheduler: paint(33, '[scheduler]'), ingress: paint(32, '[ingress]'), start: paint(1, '[start]') };
const pretty = PinoPretty.prettyFactory({ colorize: color, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });

/** Writes each line of `text` (one log record may pretty-print to several) with the process's tag. */
function print(tag, text) {
  const lines = text.replace(/\n$/, '').split('\n');
  process.stdout.write(lines.map((l) => `${tag} ${l}\n`).join(''));
}
const say = (msg) => print(tags.start, msg);
function fail(msg) {
  process.stderr.write(`[start] ${msg}\n`);
  process.exit(1);
}

const apps = [];
let natsProc;
let stopping;
const abort = new AbortController();

/** Stop once: the apps (SIGTERM, 10 s, then SIGKILL), then our nats-server; a second Ctrl-C kills at once. */
function shutdown(code, why) {
  if (stopping) return stopping;
  abort.abort();
  if (why) say(why);
  return (stopping = (async () => {
    await Promise.allSettled(apps.map((a) => a.stop()));
    if (natsProc) await natsProc.stop(10_000);
    process.exit(code);
  })());
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (!stopping) return void shutdown(0, `${sig}: stopping the apps${natsProc ? ', then nats-server' : ''}`);
    say(`${sig} again: killing everything`);
    for (const a of apps) void a.kill('SIGKILL');
    void natsProc?.kill('SIGKILL');
    setTimeout(() => process.exit(130), 200).unref();
  });
}
process.on('uncaughtException', (e) => void shutdown(1, `crashed: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => void shutdown(1, `crashed: ${e?.stack ?? e}`));
// Children run in their own process groups (so Ctrl-C reaches only us): never leave them behind.
process.on('exit', () => {
  for (const p of [...apps, natsProc]) if (p && !p.exited && p.pid > 0) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
});

// 1. NATS: reuse the one at NATS_URL, else start one on its (loopback) port with data under .data/nats.
const natsUrl = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const first = new URL(natsUrl.split(',')[0].trim());
const natsHost = first.hostname;
const natsPort = Number(first.port || 4222);
if (await isPortOpen(natsHost, natsPort, 1000)) {
  say(`using the NATS server at ${natsUrl}`);
} else if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(natsHost)) {
  fail(`NATS at ${natsUrl} does not answer (NATS_URL); start it or unset NATS_URL to run a local one`);
} else {
  let bin;
  try {
    bin = findNatsServer();
  } catch {
    fail('nats-server is not installed: install it with `sudo apt-get install -y nats-server` or download it from https://nats.io/download');
  }
  const dataDir = join(root, '.data');
  const storeDir = join(dataDir, 'nats');
  const confFile = join(dataDir, 'nats.conf');
  mkdirSync(storeDir, { recursive: true });
  // Only what has no flag: nats-server rejects a store_dir given both in the file and as -sd.
  writeFileSync(confFile, `# written by scripts/start.mjs\nmax_payload: ${8 * 1024 * 1024}\n`);
  say(`starting nats-server on 127.0.0.1:${natsPort}, data in .data/nats`);
  natsProc = spawnLogged(bin, ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', storeDir, '-c', confFile], {
    cwd: root,
    detached: true,
    onLine: (line) => print(tags.nats, line),
  });
  void natsProc.exit.then((e) => { if (!stopping) void shutdown(1, `nats-server ${describeExit(e)} unexpectedly`); });
  try {
    await waitUntil(() => isPortOpen('127.0.0.1', natsPort, 250), {
      timeoutMs: 10_000,
      what: 'nats-server',
      giveUp: () => (natsProc.exited ? describeExit(natsProc.exitInfo) : undefined),
    });
  } catch (e) {
    await shutdown(1, e.message);
  }
}

// 2. The apps, each on its port; adapters and scheduler first, then ingress.
const configFile = process.env.REQRUN_CONFIG ? resolve(process.env.REQRUN_CONFIG) : existsSync(join(root, 'reqrun.yaml')) ? join(root, 'reqrun.yaml') : undefined;
const ports = { ingress: Number(process.env.REQRUN_HTTP_PORT || 8080), scheduler: 8081, adapters: 8082 };
for (const [app, port] of Object.entries(ports)) {
  if (await isPortOpen('127.0.0.1', port, 500)) await shutdown(1, `port ${port} (${app}) is already in use: is another mesh running?`);
}
say(`config: ${configFile ?? 'built-in defaults (mock provider); create ./reqrun.yaml or set REQRUN_CONFIG'}`);

const launch = (app) =>
  startApp({
    app,
    natsUrl,
    configFile,
    port: ports[app],
    env: { REQRUN_LOG_LEVEL: process.env.REQRUN_LOG_LEVEL || 'info' },
    readyTimeoutMs: 30_000,
    detached: true,
    signal: abort.signal,
    onLine: (line) => {
      const out = line.trim() ? pretty(line) : undefined; // undefined: below pino-pretty's minimum level
      if (out) print(tags[app], out);
    },
    onExit: (e, expected) => { if (!expected && !stopping) void shutdown(1, `${app} ${describeExit(e)} unexpectedly`); },
  }).then((a) => (apps.push(a), a));

try {
  await Promise.all([launch('adapters'), launch('scheduler')]);
  await launch('ingress');
} catch (e) {
  await shutdown(1, stopping ? undefined : e.message.split('\n')[0]);
}

// 3. Ready.
let model = 'mock-1';
try {
  const { loadConfig } = await import(pathToFileURL(join(root, 'dist/libs/config/src/index.js')).href);
  model = Object.keys(loadConfig({ file: configFile, app: 'ingress' }).models)[0] ?? model;
} catch { /* the apps run, so the config loads; keep the default name */ }
const url = `http://127.0.0.1:${ports.ingress}`;
say(`ReqRun is up: ${url}  (scheduler :${ports.scheduler}, adapters :${ports.adapters}, NATS ${natsUrl}${natsProc ? ', started here' : ''})`);
say(`try: curl -s ${url}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`);
say('Ctrl-C stops everything');
