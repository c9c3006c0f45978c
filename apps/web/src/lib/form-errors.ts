import type { ApiErrorItem } from '@gittix/api-types';

export interface FormErrors<Field extends string> {
  /** The first message for each field the form shows, displayed beside it. */
  byField: Partial<Record<Field, string>>;
  /** Everything else, displayed above the form. */
  general: string[];
}

/** Splits the API's error list: a field the form shows gets its message beside it. */
export function splitErrors<Field extends string>(
  errors: readonly ApiErrorItem[],
  fields: readonly Field[],
): FormErrors<Field> {
  const byField: Partial<Record<Field, string>> = {};
  const general: string[] = [];
  for (const { message, field } of errors) {
    const known = fields.find((name) => name === field);
    if (known && byField[known] === undefined) byField[known] = message;
    else if (!known) general.push(message);
  }
  return { byField, general };
}
