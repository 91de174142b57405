import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit { path: string; at: number; headers: IncomingHttpHeaders; body: string; status: number }

/** A webhook receiver on 127.0.0.1: answers per path from a script (the last entry repeats); records every request. */
export class Receiver {
  readonly hits: Hit[] = [];
  readonly scripts = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const script = this.scripts.get(req.url!) ?? [{ status: 200 }];
        const next = script.length > 1 ? script.shift()! : script[0];
        this.hits.push({ path: req.url!, at: Date.now(), headers: req.headers, body, status: next.status });
        res.writeHead(next.status, next.headers).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  on(path: string): Hit[] {
    return this.hits.filter((h) => h.path === path);
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
