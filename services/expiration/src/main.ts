import { runService } from '@gittix/common';
import { expirationService } from './service.js';

await runService(expirationService);
