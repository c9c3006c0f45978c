/**
 * CloudNativePG's kinds for `customSchemas` (k8s-schema.ts): Ajv compiled from the
 * CRD subsets in infra/test/schemas/cnpg (see its README), which reject unknown
 * fields themselves. A Pooler's `template` is also held to kubernetes-models'
 * PodTemplate schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { PodTemplate } from 'kubernetes-models/v1/PodTemplate';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { KindSchema } from './k8s-schema.js';
import type { Resource } from './kubectl.js';
import { infraDir } from './repo.js';

export const cnpgKinds = ['Cluster', 'Database', 'Pooler', 'ScheduledBackup'] as const;

const ajv = new Ajv({ allErrors: true, strict: true });

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || '(object)';
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
        : '';
    return `${where} ${e.message ?? e.keyword}${extra}`;
  });
}

/** The PodTemplateSpec inside a Pooler, as kubernetes-models validates it. */
function podTemplateErrors(obj: Resource): string[] {
  const template = (obj.spec as { template?: unknown } | undefined)?.template;
  if (template === undefined) return [];
  try {
    // The cast only satisfies the constructor: validate() checks the shape itself.
    new PodTemplate({
      metadata: { name: obj.metadata.name },
      template: template as IPodTemplateSpec,
    }).validate();
    return [];
  } catch (error) {
    return [`/spec/template ${(error as Error).message}`];
  }
}

function schemaOfKind(kind: (typeof cnpgKinds)[number]): KindSchema {
  const schema = JSON.parse(
    readFileSync(join(infraDir, 'test', 'schemas', 'cnpg', `${kind}.json`), 'utf8'),
  ) as object;
  const validate = ajv.compile(schema);
  return {
    validate(obj) {
      const errors = validate(obj) ? [] : describe(validate.errors);
      return kind === 'Pooler' ? [...errors, ...podTemplateErrors(obj)] : errors;
    },
  };
}

/** `postgresql.cnpg.io/v1 <Kind>` → its schema, for customSchemas. */
export function cnpgSchemas(): Array<[string, KindSchema]> {
  return cnpgKinds.map((kind) => [`postgresql.cnpg.io/v1 ${kind}`, schemaOfKind(kind)]);
}
