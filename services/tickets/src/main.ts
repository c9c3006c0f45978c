import { runService } from '@gittix/common';
import { ticketsService } from './service.js';

await runService(ticketsService);
