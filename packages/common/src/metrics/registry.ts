import { Counter, type CounterConfiguration, type Metric, type Registry } from 'prom-client';

/**
 * The label every GitTix series carries to name the service that exported it.
 * Not `service`: the Prometheus Operator adds `service` (the Kubernetes Service
 * of the target) to everything a ServiceMonitor scrapes, and would rename ours to
 * `exported_service`. `job`/`pod` from the scrape say the same; this one survives
 * any scrape config (Compose, a bare Prometheus).
 */
export const SERVICE_LABEL = 'gittix_service';

/**
 * The registry's counter named `config.name`, created on first use. Domain code
 * that holds only the app's registry (an event handler, a background task) gets
 * the same counter as the rest of the service, and a process hosting several
 * apps (tests) keeps one per app.
 */
export function counterOf<L extends string>(
  registry: Registry,
  config: Omit<CounterConfiguration<L>, 'registers'>,
): Counter<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ ...config, registers: [registry] });
}

/** The registry's metric named `name`, made by `create` on first use (a consumer started twice). */
export function metricOf<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
