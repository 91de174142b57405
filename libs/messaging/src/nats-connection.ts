import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/nats-core';
import { coalesceWrites, skipCancelAfterResolve } from './nats-client-tuning.js';

/**
 * How to authenticate to NATS and secure the connection (the `nats:` section of the config). Secrets never sit in the
 * YAML: passwords, tokens and nkey seeds are read from the env vars named here; a creds file is read from its path.
 * Use one of user/password, token, nkey seed or creds file.
 */
export interface NatsAuth {
  user?: string;
  /** Env var holding the password of `user`. */
  password_env?: string;
  /** Env var holding the auth token. */
  token_env?: string;
  /** Env var holding an nkey seed (`SU…`). */
  nkey_seed_env?: string;
  /** A `.creds` file (user JWT + nkey seed), as `nsc` writes it. */
  creds_file?: string;
  /** TLS: `ca` to verify the server, `cert` + `key` for a client certificate (mutual TLS); file paths. Present = TLS required. */
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface ConnectOptions extends NatsAuth {
  url: string;
  /** Shown in the server's connection list: which app this is. */
  name: string;
}

/** Connects and keeps reconnecting for ever: an app outlives a NATS restart. */
export function connectNats(o: ConnectOptions, env: NodeJS.ProcessEnv = process.env): Promise<NatsConnection> {
  coalesceWrites();
  skipCancelAfterResolve();
  return connect({
    servers: o.url.split(',').map((s) => s.trim()),
    name: o.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
    pingInterval: 10_000,
    // Capturing a stack for every request/publish ack costs ~10% of CPU on the hot path; our errors carry context anyway.
    noAsyncTraces: true,
    ...authOptions(o, env),
  });
}

/** The nats.js options for `a`; throws naming the env var or file that is missing. */
export function authOptions(a: NatsAuth, env: NodeJS.ProcessEnv = process.env): Partial<ConnectionOptions> {
  const secret = (name: string, field: string) => {
    const v = env[name];
    if (!v) throw new Error(`nats.${field}: the environment variable ${name} is not set`);
    return v;
  };
  const o: Partial<ConnectionOptions> = {};
  if (a.user !== undefined) {
    o.user = a.user;
    if (a.password_env) o.pass = secret(a.password_env, 'password_env');
  }
  if (a.token_env) o.token = secret(a.token_env, 'token_env');
  if (a.nkey_seed_env) o.authenticator = nkeyAuthenticator(new TextEncoder().encode(secret(a.nkey_seed_env, 'nkey_seed_env').trim()));
  if (a.creds_file) o.authenticator = credsAuthenticator(readFileSync(a.creds_file));
  if (a.tls) o.tls = { ...(a.tls.ca ? { caFile: a.tls.ca } : {}), ...(a.tls.cert ? { certFile: a.tls.cert } : {}), ...(a.tls.key ? { keyFile: a.tls.key } : {}) };
  return o;
}
