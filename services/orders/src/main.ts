import { runService } from '@gittix/common';
import { ordersService } from './service.js';

await runService(ordersService);
