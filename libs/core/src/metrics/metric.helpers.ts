import {
  Counter,
  Gauge,
  Histogram,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Registry,
  type RegistryContentType,
} from 'prom-client';

/** The app registry, whichever exposition format it was created for. */
export type MetricsRegistry = Registry<RegistryContentType>;

/**
 * The metric already registered under `name`, checked to be of the expected kind, or undefined.
 * Modules go through the helpers below instead of `new Counter(...)` so that two instances of a
 * module (or a test building the app twice on one registry) share a family instead of throwing.
 */
function existing<M>(
  registry: MetricsRegistry,
  name: string,
  kind: abstract new (...args: never[]) => M,
): M | undefined {
  const found = registry.getSingleMetric(name);
  if (found === undefined) return undefined;
  if (!(found instanceof kind)) throw new TypeError(`Metric ${name} is already registered as another type`);
  return found;
}

export function counterOf<T extends string>(
  registry: MetricsRegistry,
  config: Omit<CounterConfiguration<T>, 'registers'>,
): Counter<T> {
  return existing<Counter<T>>(registry, config.name, Counter) ?? new Counter<T>({ ...config, registers: [registry] });
}

export function gaugeOf<T extends string>(
  registry: MetricsRegistry,
  config: Omit<GaugeConfiguration<T>, 'registers'>,
): Gauge<T> {
  return existing<Gauge<T>>(registry, config.name, Gauge) ?? new Gauge<T>({ ...config, registers: [registry] });
}

export function histogramOf<T extends string>(
  registry: MetricsRegistry,
  config: Omit<HistogramConfiguration<T>, 'registers'>,
): Histogram<T> {
  return (
    existing<Histogram<T>>(registry, config.name, Histogram) ?? new Histogram<T>({ ...config, registers: [registry] })
  );
}
