import type { EnvSource, ModuleOptionsDefinition, OptionSpecTree } from './option-spec.js';
import { processEnv } from './option-spec.js';

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/** Deep merge of plain objects; `override` wins, arrays and class instances are replaced whole. */
export function mergeOptions<T>(base: T, override: unknown): T {
  if (!isPlain(base) || !isPlain(override)) return (override === undefined ? base : override) as T;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value !== undefined) out[key] = mergeOptions(out[key], value);
  }
  return out as T;
}

/**
 * A module's options from the environment on top of the ones written in code: the code sets what
 * the app needs, a deployment overrides it through environment variables.
 *
 * @example
 * BallastCoreModule.forRootAsync({
 *   imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => optionsFromEnv(coreOptions, config, { performanceApi: { enabled: true } }),
 * })
 */
export function optionsFromEnv<T extends OptionSpecTree, B>(
  definition: ModuleOptionsDefinition<T>,
  source: EnvSource = processEnv,
  base?: B,
): B & ReturnType<ModuleOptionsDefinition<T>['fromEnv']> {
  return mergeOptions(base ?? {}, definition.fromEnv(source)) as B & ReturnType<ModuleOptionsDefinition<T>['fromEnv']>;
}
