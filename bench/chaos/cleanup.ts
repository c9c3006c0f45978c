import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';

/**
 * Undo steps run once, newest first, whether the run ends, fails or is
 * interrupted. If the process exits before they finish (a second Ctrl-C, or a
 * library's exit hook calling process.exit), a last synchronous pass kills what
 * this process started — its own descendants, by pid — and deletes its folders.
 */
export class Cleanup {
  private readonly steps: Array<{ what: string; run: () => Promise<unknown> }> = [];
  private readonly folders: string[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly say: (line: string) => void) {
    process.once('exit', () => this.lastResort());
  }

  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  /** A folder to delete even if the process is exiting. */
  folder(path: string): void {
    this.folders.push(path);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          this.say(
            `cleanup: ${step.what} failed: ${error instanceof Error ? error.message : error}`,
          );
        }
      }
    })();
    return this.running;
  }

  private lastResort(): void {
    for (const pid of descendants(process.pid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const folder of this.folders) rmSync(folder, { recursive: true, force: true });
  }
}

/** Every process below `root` in the process tree (Linux /proc), parents first. */
function descendants(root: number): number[] {
  if (!existsSync('/proc')) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
