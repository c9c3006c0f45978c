/** Where an event stands in its key's history: the ledger expects index 0, 1, … in turn. */
export interface Position {
  key: string;
  /** The key's number in the workload (0, 1, …). */
  ordinal: number;
  index: number;
}

/**
 * What a consuming service's database would hold: the inbox (events handled once),
 * the keys parked because an earlier event of theirs was dead-lettered, and, for the
 * prototype, the check that every key's events were committed in publish order.
 * It outlives consumer restarts, as the database does.
 */
export class Ledger {
  private readonly handled = new Set<string>();
  private readonly handledPerKey = new Map<string, number>();
  private readonly parked = new Set<string>();
  private readonly violatedKeys = new Set<string>();
  duplicates = 0;
  readonly violations: string[] = [];

  constructor(private readonly positions: Map<string, Position>) {}

  /** The handler's transaction: records the event once and checks it came in its key's order. */
  commit(eventId: string): void {
    if (this.handled.has(eventId)) {
      this.duplicates++;
      return;
    }
    const { key, index } = this.positionOf(eventId);
    const before = this.handledPerKey.get(key) ?? 0;
    if (this.parked.has(key)) {
      this.violation(key, `event ${index} handled after an earlier one was dead-lettered`);
    } else if (index !== before) {
      this.violation(key, `event ${index} handled when ${before} of its key were`);
    }
    this.handled.add(eventId);
    this.handledPerKey.set(key, before + 1);
  }

  positionOf(eventId: string): Position {
    const position = this.positions.get(eventId);
    if (!position) throw new Error(`event ${eventId} is not in the workload`);
    return position;
  }

  park(key: string): void {
    this.parked.add(key);
  }

  isParked(key: string): boolean {
    return this.parked.has(key);
  }

  get handledEvents(): number {
    return this.handled.size;
  }

  get keysOutOfOrder(): number {
    return this.violatedKeys.size;
  }

  private violation(key: string, what: string): void {
    this.violatedKeys.add(key);
    this.violations.push(`${key}: ${what}`);
  }
}
