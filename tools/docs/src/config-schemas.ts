import { authConfigSchema } from '@gittix/auth/config';
import { expirationConfigSchema } from '@gittix/expiration/config';
import { gatewayConfigSchema } from '@gittix/gateway/config';
import { notificationsConfigSchema } from '@gittix/notifications/config';
import { ordersConfigSchema } from '@gittix/orders/config';
import { paymentsConfigSchema } from '@gittix/payments/config';
import { ticketsConfigSchema } from '@gittix/tickets/config';
import { webConfigSchema } from '@gittix/web/config';
import type { z } from 'zod';

/** Every process's environment schema, in the order of services.json. */
export const configSchemas: Record<string, z.ZodType> = {
  auth: authConfigSchema,
  tickets: ticketsConfigSchema,
  orders: ordersConfigSchema,
  expiration: expirationConfigSchema,
  payments: paymentsConfigSchema,
  notifications: notificationsConfigSchema,
  gateway: gatewayConfigSchema,
  web: webConfigSchema,
};
