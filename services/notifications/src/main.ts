import { runService } from '@gittix/common';
import { notificationsService } from './service.js';

await runService(notificationsService);
