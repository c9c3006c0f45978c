import { runService } from '@gittix/common';
import { paymentsService } from './service.js';

await runService(paymentsService);
