import { createTestEnvironment } from '@gittix/common/testing';

/** Collects a command's lines. */
export function capture() {
  const lines: string[] = [];
  return {
    lines,
    out: { line: (text: string) => void lines.push(text) },
    text: () => lines.join('\n'),
  };
}

/** A bus on a stream and subject prefix of this test file's own. */
export async function createCliFixture() {
  const environment = await createTestEnvironment();
  return {
    bus: await environment.bus(),
    publish: environment.publish,
    close: () => environment.close(),
  };
}

export type CliFixture = Awaited<ReturnType<typeof createCliFixture>>;
