import { bootstrap } from '@reqrun/runtime';
import { IngressModule } from './ingress.module.js';
import { frameworkErrors, installErrorHandlers } from './errors/install-error-handlers.js';

await bootstrap('ingress', IngressModule, installErrorHandlers, { frameworkErrors });
