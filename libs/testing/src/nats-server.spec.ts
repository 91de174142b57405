import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { isPortOpen } from './free-port.js';
import { startNats } from './nats-server.js';

const MiB = 1024 * 1024;

describe('startNats', () => {
  it('starts a reachable server and stop() removes its temp dir', async () => {
    const sut = await startNats();
    try {
      expect(sut.url).toBe(`nats://127.0.0.1:${sut.port}`);
      expect(sut.pid).toBeGreaterThan(0);
      expect(await isPortOpen('127.0.0.1', sut.port)).toBe(true);
      expect(sut.logs()).toContain('Server is ready');
      expect(existsSync(dirname(sut.storeDir))).toBe(true);
    } finally {
      await sut.stop();
    }
    expect(existsSync(dirname(sut.storeDir))).toBe(false);
    expect(await isPortOpen('127.0.0.1', sut.port)).toBe(false);
    await sut.stop(); // a second stop is a no-op
  });

  it('applies max_payload 8 MiB: a 2 MB message goes through', async () => {
    await using sut = await startNats();
    const nc = await connect({ servers: sut.url });
    try {
      expect(nc.info?.max_payload).toBe(8 * MiB);
      const sub = nc.subscribe('big', { max: 1 });
      const body = new Uint8Array(2 * 1000 * 1000).fill(7);
      nc.publish('big', body);
      for await (const m of sub) expect(m.data.length).toBe(body.length);
    } finally {
      await nc.close();
    }
  });

  it('takes maxPayload as an option', async () => {
    await using sut = await startNats({ maxPayload: 16 * MiB });
    const nc = await connect({ servers: sut.url });
    expect(nc.info?.max_payload).toBe(16 * MiB);
    await nc.close();
  });

  it('kill then restart keeps the port and the JetStream data', async () => {
    await using sut = await startNats();
    const port = sut.port;
    const pid = sut.pid;
    let nc = await connect({ servers: sut.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'KEEP', subjects: ['keep.>'] });
    await nc.close();

    await sut.kill();
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
    await sut.restart();

    expect(sut.port).toBe(port);
    expect(sut.pid).not.toBe(pid);
    nc = await connect({ servers: sut.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info('KEEP');
      expect(info.config.subjects).toEqual(['keep.>']);
    } finally {
      await nc.close();
    }
  });
});
