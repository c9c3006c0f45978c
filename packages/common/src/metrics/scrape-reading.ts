export interface ScrapeReadingOptions {
  /**
   * How long a reading that succeeded keeps answering after it settled (Prometheus run
   * as a pair scrapes twice in a moment). 0: only the collects of the scrape that
   * started it (a scrape starts every collect before any reading settles).
   */
  reuseMs?: number;
  /**
   * How long a scrape waits for a reading before it answers with the last one that
   * succeeded. The deadline is the reading's, so scrapes that come while it hangs do
   * not wait again. Unset: a scrape waits for the reading, however long.
   */
  timeoutMs?: number;
}

/**
 * One reading of something a scrape reports (a query, a JetStream info) shared by the
 * gauges that report it, so a scrape asks once however many gauges it has: the first
 * collect starts the reading, the others join it. A reading that fails, or outlasts
 * `timeoutMs`, answers with the last one that succeeded (undefined before the first):
 * /metrics still answers, with the last values, while the database or JetStream is
 * away. The next scrape after that reads again.
 */
export function scrapeReading<T>(
  read: () => Promise<T>,
  { reuseMs = 0, timeoutMs }: ScrapeReadingOptions = {},
): () => Promise<T | undefined> {
  let last: T | undefined;
  let current: { answer: Promise<T | undefined> } | undefined;

  const start = () => {
    let succeeded = false;
    let timer: NodeJS.Timeout | undefined;
    const reading = read().then(
      (value) => {
        last = value;
        succeeded = true;
        return value;
      },
      () => last,
    );
    const started = {
      answer:
        timeoutMs === undefined
          ? reading
          : Promise.race([
              reading,
              new Promise<T | undefined>((resolve) => {
                timer = setTimeout(() => resolve(last), timeoutMs).unref();
              }),
            ]),
    };
    const done = () => {
      if (current === started) current = undefined;
    };
    void reading.then(() => {
      clearTimeout(timer);
      // A failed reading is not reused: the next scrape reads again.
      if (succeeded && reuseMs > 0) setTimeout(done, reuseMs).unref();
      else done();
    });
    return started;
  };

  return () => {
    current ??= start();
    return current.answer;
  };
}
