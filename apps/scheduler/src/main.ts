import { bootstrap } from '@reqrun/runtime';
import { SchedulerModule } from './scheduler.module.js';

await bootstrap('scheduler', SchedulerModule);
