import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer, freePort, waitUntil, isPortOpen } from '@reqrun/testing';
import { authOptions, connectNats } from './nats-connection.js';

/** A bare nats-server with the given auth flags on a free port. */
async function serverWith(args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const p: ChildProcess = spawn(findNatsServer(), ['-a', '127.0.0.1', '-p', String(port), ...args], { stdio: 'ignore' });
  const stop = () => new Promise<void>((done) => {
    if (p.exitCode !== null) return done();
    p.once('exit', () => done());
    p.kill('SIGTERM');
  });
  try {
    await waitUntil(() => isPortOpen('127.0.0.1', port), { timeoutMs: 10_000, what: 'nats-server' });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `nats://127.0.0.1:${port}`, stop };
}

async function connectsWith(url: string, o: Parameters<typeof authOptions>[0], env: NodeJS.ProcessEnv): Promise<boolean> {
  const nc = await connectNats({ url, name: 'spec', ...o }, env);
  try {
    await nc.flush();
    return true;
  } catch {
    return false;
  } finally {
    await nc.close();
  }
}

describe('NATS connection options', () => {
  it('reads secrets from the env vars the config names, and says which one is missing', () => {
    expect(authOptions({ user: 'u', password_env: 'P' }, { P: 'pw' })).toEqual({ user: 'u', pass: 'pw' });
    expect(authOptions({ token_env: 'T' }, { T: 'tok' })).toEqual({ token: 'tok' });
    expect(authOptions({ tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' } }, {})).toEqual({ tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' } });
    expect(() => authOptions({ token_env: 'NOPE' }, {})).toThrow('nats.token_env: the environment variable NOPE is not set');
  });

  it('authenticates with user and password, and a wrong password is refused', async () => {
    const server = await serverWith(['--user', 'reqrun', '--pass', 's3cret']);
    try {
      expect(await connectsWith(server.url, { user: 'reqrun', password_env: 'PW' }, { PW: 's3cret' })).toBe(true);
      await expect(connectsWith(server.url, { user: 'reqrun', password_env: 'PW' }, { PW: 'wrong' })).rejects.toThrow(/authorization/i);
    } finally {
      await server.stop();
    }
  });

  it('authenticates with a token', async () => {
    const server = await serverWith(['--auth', 't0ken']);
    try {
      expect(await connectsWith(server.url, { token_env: 'TOK' }, { TOK: 't0ken' })).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('speaks mutual TLS: verifies the server with the CA, shows its client certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reqrun-tls-'));
    const f = (name: string) => join(dir, name);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    try {
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'));
      writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      for (const who of ['server', 'client']) {
        ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', f(`${who}-key.pem`), '-out', f(`${who}.csr`));
        ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-days', '1', '-extfile', f('san.ext'), '-out', f(`${who}.pem`));
      }
      const server = await serverWith(['--tlsverify', '--tlscert', f('server.pem'), '--tlskey', f('server-key.pem'), '--tlscacert', f('ca.pem')]);
      try {
        expect(await connectsWith(server.url, { tls: { ca: f('ca.pem'), cert: f('client.pem'), key: f('client-key.pem') } }, {})).toBe(true);
        await expect(connectsWith(server.url, { tls: { ca: f('ca.pem') } }, {})).rejects.toThrow(); // no client certificate
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
