import { z } from 'zod';

/** The one error shape (docs/api.md). */
export const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});
