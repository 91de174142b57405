/**
 * The deployment files (docker/) stay true as the code moves: the config the compose file mounts loads through the
 * apps' own loader, the three NATS nodes route to each other, every app points at all three and is health-checked on
 * the port it listens on, each command is a file the build makes, and, where a Compose is installed, it accepts the
 * file (`config`). No container is started (this machine has no Docker engine).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@reqrun/config';
import { repoRoot } from '@reqrun/testing';
import { parse } from 'yaml';

const docker = join(repoRoot(), 'docker');
const compose = parse(readFileSync(join(docker, 'compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
interface Service {
  command: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
}
const nodes = ['n1', 'n2', 'n3'];
const apps = ['ingress', 'scheduler', 'adapters'] as const;

/** The first Compose that runs here: the v2 plugin, or Debian's docker-compose 1.29. */
function composeCommand(): string[] | undefined {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    if (spawnSync(cmd[0], [...cmd.slice(1), 'version'], { stdio: 'ignore' }).status === 0) return cmd;
  }
  return undefined;
}

describe('docker/', () => {
  it('reqrun.yaml loads through the apps’ config loader, every stream and bucket at R3 on the three nodes', () => {
    for (const app of apps) {
      const config = loadConfig({ app, file: join(docker, 'reqrun.yaml'), env: { REQRUN_HTTP_PORT: compose.services[app].environment!.REQRUN_HTTP_PORT } });
      expect(config.nats.replicas).toBe(3);
      expect(config.nats.url).toBe(nodes.map((n) => `nats://${n}:4222`).join(','));
    }
  });

  it('the three NATS nodes run JetStream in one cluster, each with routes to all three', () => {
    for (const n of nodes) {
      const svc = compose.services[n];
      expect(svc.command).toEqual(['nats-server', '--config', `/etc/nats/${n}.conf`]);
      expect(svc.volumes).toContain(`./nats/${n}.conf:/etc/nats/${n}.conf:ro`);
      const conf = readFileSync(join(docker, 'nats', `${n}.conf`), 'utf8');
      expect(conf).toMatch(new RegExp(`server_name: ${n}\\b`));
      expect(conf).toMatch(/jetstream \{[^}]*store_dir: \/data/);
      expect(conf).toMatch(/cluster \{[^]*name: reqrun/);
      for (const peer of nodes) expect(conf).toContain(`nats-route://${peer}:6222`);
    }
  });

  it('each app runs a file the build makes, knows all three nodes, and is health-checked on its own port', () => {
    for (const app of apps) {
      const svc = compose.services[app];
      expect(svc.command).toEqual([`dist/apps/${app}/src/main.js`]);
      expect(existsSync(join(repoRoot(), svc.command[0]))).toBe(true); // npm test builds first (pretest)
      expect(svc.environment!.NATS_URL).toBe(nodes.map((n) => `nats://${n}:4222`).join(','));
      expect(svc.environment!.REQRUN_HTTP_PORT).toMatch(/^\d+$/);
      expect(svc.healthcheck!.test.join(' ')).toContain("process.env.REQRUN_HTTP_PORT+'/readyz'");
    }
    expect(new Set(apps.map((a) => compose.services[a].environment!.REQRUN_HTTP_PORT)).size).toBe(3);
    expect(compose.services.ingress.ports).toEqual([`8080-8081:${compose.services.ingress.environment!.REQRUN_HTTP_PORT}`]);
  });

  const cmd = composeCommand();
  (cmd ? it : it.skip)(`${cmd?.join(' ') ?? 'docker compose'} config accepts compose.yml`, () => {
    const out = execFileSync(cmd![0], [...cmd!.slice(1), '-f', join(docker, 'compose.yml'), '-p', 'reqrun', 'config'], { encoding: 'utf8' });
    const resolved = parse(out) as { services: Record<string, Service> };
    expect(Object.keys(resolved.services).sort()).toEqual([...apps, ...nodes].sort());
  });
});
