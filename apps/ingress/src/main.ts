import { bootstrap } from '@reqrun/runtime';
import { IngressModule } from './ingress.module.js';
import { installErrorHandlers } from './errors/install-error-handlers.js';

await bootstrap('ingress', IngressModule, installErrorHandlers);
