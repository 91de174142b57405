import { bootstrap, type Booted } from '@reqrun/runtime';
import { IngressModule } from './ingress.module.js';
import { frameworkErrors, installErrorHandlers } from './errors/install-error-handlers.js';
import { installUploads } from './files/uploads.hook.js';
import { NatsApiServer } from './nats-api/nats-api.server.js';
import { ApiKeys } from './security/api-keys.js';
import { installAuth } from './security/tenant.hook.js';
import { installWorkContext } from './security/work-context.hook.js';

await bootstrap('ingress', IngressModule, (b: Booted) => {
  installWorkContext(b);
  installErrorHandlers(b);
  const keys = ApiKeys.from(b.config);
  installAuth(b, keys);
  installUploads(b);
  b.app.get(NatsApiServer).start(keys);
}, { frameworkErrors });
