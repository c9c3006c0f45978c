import { runService } from '@gittix/common';
import { authService } from './service.js';

await runService(authService);
