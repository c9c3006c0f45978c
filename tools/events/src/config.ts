import { natsConfigSchema } from '@gittix/common';
import type { z } from 'zod';

/** The CLI reads the same NATS keys as the services, with the same defaults. */
export const cliConfigSchema = natsConfigSchema;
export type CliConfig = z.output<typeof cliConfigSchema>;
