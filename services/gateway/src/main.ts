import { runService } from '@gittix/common';
import { gatewayService } from './service.js';

await runService(gatewayService);
