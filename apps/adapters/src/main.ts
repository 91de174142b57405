import { bootstrap } from '@reqrun/runtime';
import { AdaptersModule } from './adapters.module.js';

await bootstrap('adapters', AdaptersModule);
