// The benchmark's baseline: a bare Fastify server answering POST /v1/chat/completions the way ReqRun's built-in
// mock provider does (same translation and the same deterministic answer, 0 ms latency), with none of the mesh.
// With `stream: true` it streams that answer as ReqRun does: one word a chunk, `metadata.mock_chunk_delay_ms` apart,
// in the same chat chunk format (ReqRun's own encoder).
//
//   import { startMockUpstream } from './mock-upstream.mjs';
//   const up = await startMockUpstream();        // a child process on a free 127.0.0.1 port
//   ... up.url, up.pid ...
//   await up.close();
//
//   node bench/mock-upstream.mjs --port 9000     // the same server in the foreground (Ctrl-C stops it)
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalToChatCompletion, chatStreamEncoder, chatToCanonical, mockAnswer, sseText } from '../dist/libs/translate/src/index.js';

const host = '127.0.0.1'; // loopback only
const self = fileURLToPath(import.meta.url);

/** The Fastify app itself (not listening yet); the bench runs it in a child process through startMockUpstream. */
export function buildMockUpstream() {
  const app = Fastify({ logger: false });
  let counter = 0;
  app.post('/v1/chat/completions', async (req, reply) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body) || !Array.isArray(body.messages) || typeof body.model !== 'string') {
      return reply.code(400).send({ error: { message: "'model' and 'messages' are required", type: 'invalid_request_error', param: null, code: null } });
    }
    const answer = mockAnswer(chatToCanonical(body));
    const identity = { id: `chatcmpl-${++counter}`, created: Math.floor(Date.now() / 1000) };
    if (body.stream === true) return stream(reply, answer, { ...identity, model: body.model, request: body }, Number(body.metadata?.mock_chunk_delay_ms ?? 0));
    return canonicalToChatCompletion(answer, identity);
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}

/** The answer as SSE, a word a chunk (the pieces the mock provider streams), `delayMs` between two. */
async function stream(reply, answer, head, delayMs) {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const enc = chatStreamEncoder(head);
  const words = answer.text.split(/(?<=\s)(?=\S)/).filter((w) => w !== '');
  for (const [seq, text] of words.entries()) {
    if (seq > 0 && delayMs > 0) await sleep(delayMs);
    for (const e of enc.push({ type: 'delta', attempt: 1, seq, text })) reply.raw.write(sseText(e));
  }
  const end = { type: 'end', attempt: 1, seq: words.length, model: answer.model, finish_reason: answer.finish_reason, usage: answer.usage };
  for (const e of enc.push(end)) reply.raw.write(sseText(e));
  reply.raw.end();
}

/** Listens on 127.0.0.1:port (0 = a free port) and resolves to http://127.0.0.1:PORT. */
export async function listenMockUpstream(app, port = 0) {
  await app.listen({ host, port });
  const addr = app.server.address();
  return `http://${host}:${addr.port}`;
}

/**
 * Runs the mock upstream in its own Node process (separate CPU and RSS, like the mesh's apps) and waits until it listens.
 * @param {{ port?: number, startTimeoutMs?: number }} [o]
 * @returns {Promise<{ url: string, pid: number, close(): Promise<void> }>}
 */
export async function startMockUpstream(o = {}) {
  const child = fork(self, ['--port', String(o.port ?? 0), '--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let timer;
  try {
    const url = await Promise.race([
      new Promise((resolve) => child.on('message', (m) => m?.type === 'listening' && resolve(m.url))),
      exited.then((e) => Promise.reject(new Error(`mock upstream exited before listening (code ${e.code}, signal ${e.signal})`))),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('mock upstream did not listen within 10 s')), o.startTimeoutMs ?? 10_000);
      }),
    ]);
    let closing;
    return {
      url,
      pid: child.pid,
      close: () =>
        (closing ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(kill);
          }
        })()),
    };
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, child: { type: 'boolean', default: false } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  const app = buildMockUpstream();
  const url = await listenMockUpstream(app, port);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.send) {
    process.on('disconnect', stop); // the parent is gone: do not linger
    process.send({ type: 'listening', url });
  }
  if (!values.child) console.log(`mock upstream listening on ${url} (POST /v1/chat/completions)`);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  main().catch((e) => {
    console.error(`mock upstream: ${e.message}`);
    process.exit(1);
  });
}
