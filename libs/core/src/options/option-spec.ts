import { z } from 'zod';

import { BallastOptionsError } from '../errors/ballast.error.js';

/**
 * One documented option: its schema (with `.default()` where it has one), the environment variable
 * that can set it, and what it means. Every module declares its options as a tree of these, and the
 * validation, the environment mapping and docs/configuration.md are all derived from that tree.
 */
export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  readonly description: string;
  readonly env?: string;
  /** Never echoed back in errors or docs (tokens, passwords). */
  readonly secret?: boolean;
}

export type OptionSpecTree = { readonly [key: string]: OptionSpec | OptionSpecTree };

type SchemaShape<T extends OptionSpecTree> = {
  [K in keyof T]: T[K] extends OptionSpec<infer S>
    ? S
    : T[K] extends OptionSpecTree
      ? z.ZodPrefault<z.ZodObject<SchemaShape<T[K]>, z.core.$strict>>
      : never;
};

export type OptionsSchema<T extends OptionSpecTree> = z.ZodObject<SchemaShape<T>, z.core.$strict>;

/** Anything with `get(name)`: `ConfigService` from @nestjs/config, or {@link processEnv}. */
export interface EnvSource {
  get(name: string): unknown;
}

export const processEnv: EnvSource = { get: (name) => process.env[name] };

export interface OptionDoc {
  readonly path: string;
  readonly env?: string;
  readonly type: string;
  readonly default?: string;
  readonly allowed?: string;
  readonly description: string;
}

export interface ModuleOptionsDefinition<T extends OptionSpecTree> {
  readonly moduleName: string;
  readonly specs: T;
  readonly schema: OptionsSchema<T>;
  /** Validates and fills defaults; throws {@link BallastOptionsError} naming every bad option. */
  parse(input: unknown): z.output<OptionsSchema<T>>;
  /** Reads every option that has an environment variable; unset variables are left out. */
  fromEnv(source?: EnvSource): Partial<z.input<OptionsSchema<T>>>;
  docs(): OptionDoc[];
}

function isSpec(node: OptionSpec | OptionSpecTree): node is OptionSpec {
  return node.schema instanceof z.ZodType;
}

function buildSchema<T extends OptionSpecTree>(specs: T): OptionsSchema<T> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, node] of Object.entries(specs)) {
    // prefault, not default: zod 4 returns a default as is, while a prefault is parsed and so gets its own defaults.
    shape[key] = isSpec(node) ? node.schema : buildSchema(node).prefault({} as never);
  }
  return z.strictObject(shape) as unknown as OptionsSchema<T>;
}

function* walk(
  specs: OptionSpecTree,
  prefix: readonly string[] = [],
): Generator<[path: readonly string[], spec: OptionSpec]> {
  for (const [key, node] of Object.entries(specs)) {
    const path = [...prefix, key];
    if (isSpec(node)) yield [path, node];
    else yield* walk(node, path);
  }
}

interface ZodDefLike {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  defaultValue?: unknown;
  element?: z.ZodType;
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** The schema under `.default()`, `.optional()`, `.nullable()` and pipes (`z.preprocess` included). */
function baseSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType && ['default', 'optional', 'nullable', 'prefault', 'readonly'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      // z.preprocess(fn, schema) is a pipe from a transform: what the option is, is its output.
      current = defOf(def.in).type === 'transform' && def.out ? def.out : def.in;
    } else {
      return current;
    }
  }
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Turns an environment string into the option's type; anything unparseable is left for zod to reject. */
export function coerceEnvValue(schema: z.ZodType, raw: string): unknown {
  const value = raw.trim();
  const base = baseSchema(schema);
  switch (defOf(base).type) {
    case 'number':
      return value !== '' && Number.isFinite(Number(value)) ? Number(value) : raw;
    case 'boolean': {
      const lower = value.toLowerCase();
      if (TRUE_WORDS.has(lower)) return true;
      if (FALSE_WORDS.has(lower)) return false;
      return raw;
    }
    case 'array': {
      const items = value === '' ? [] : value.split(',').map((item) => item.trim());
      const element = defOf(base).element;
      return element ? items.map((item) => coerceEnvValue(element, item)) : items;
    }
    default:
      return raw;
  }
}

function describeType(schema: z.ZodType): { type: string; allowed?: string } {
  const base = baseSchema(schema);
  const type = defOf(base).type;
  if (type === 'enum') {
    return { type: 'enum', allowed: (base as z.ZodEnum).options.map((o) => JSON.stringify(o)).join(' | ') };
  }
  if (type === 'number') {
    const num = base as z.ZodNumber;
    const bounds: string[] = [];
    if (num.minValue !== null && num.minValue > Number.MIN_SAFE_INTEGER) bounds.push(`>= ${num.minValue}`);
    // .int() implies the safe-integer range, which says nothing to a reader.
    if (num.maxValue !== null && num.maxValue < Number.MAX_SAFE_INTEGER) bounds.push(`<= ${num.maxValue}`);
    return { type: num.isInt ? 'integer' : 'number', allowed: bounds.join(', ') || undefined };
  }
  if (type === 'array') {
    const element = defOf(base).element;
    return { type: `${element ? describeType(element).type : 'unknown'}[]` };
  }
  return { type };
}

function defaultOf(schema: z.ZodType): unknown {
  const def = defOf(schema);
  // `.prefault()` is a default given in input form (`'10/s'`), which is what a reader can also set.
  if (def.type !== 'default' && def.type !== 'prefault') return undefined;
  return typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
}

function formatValue(value: unknown, secret: boolean): string {
  if (secret && value !== undefined) return '[redacted]';
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function getPath(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Builds the validation, environment mapping and documentation of one module's options.
 *
 * @example
 * const coreOptions = defineOptions('BallastCoreModule', {
 *   metrics: { path: { schema: z.string().default('/metrics'), env: 'BALLAST_METRICS_PATH', description: '...' } },
 * });
 */
export interface OptionCheckProblem {
  /** Dotted option path, e.g. `pagination.defaultPageSize`. */
  readonly path: string;
  readonly message: string;
}

export interface DefineOptionsExtras<T extends OptionSpecTree> {
  /** Rules that cross options, run after every option passed its own schema. */
  readonly check?: (options: z.output<OptionsSchema<T>>) => readonly OptionCheckProblem[];
}

export function defineOptions<const T extends OptionSpecTree>(
  moduleName: string,
  specs: T,
  extras: DefineOptionsExtras<T> = {},
): ModuleOptionsDefinition<T> {
  const schema = buildSchema(specs);
  const specByPath = new Map<string, OptionSpec>();
  for (const [path, spec] of walk(specs)) specByPath.set(path.join('.'), spec);

  return {
    moduleName,
    specs,
    schema,
    parse(input) {
      const result = schema.safeParse(input ?? {}, { reportInput: true });
      if (!result.success) throw optionsError(moduleName, result.error.issues, input, specByPath);
      const problems = extras.check?.(result.data) ?? [];
      if (problems.length === 0) return result.data;
      const issues = problems.map((p) => ({
        code: 'custom',
        path: p.path.split('.'),
        message: p.message,
        input: undefined,
      }));
      throw optionsError(moduleName, issues as z.core.$ZodIssue[], result.data, specByPath);
    },
    fromEnv(source = processEnv) {
      const out: Record<string, unknown> = {};
      for (const [path, spec] of walk(specs)) {
        if (!spec.env) continue;
        const raw = source.get(spec.env);
        if (raw === undefined || raw === null || raw === '') continue;
        let target = out;
        for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
        target[path[path.length - 1]!] = typeof raw === 'string' ? coerceEnvValue(spec.schema, raw) : raw;
      }
      return out as Partial<z.input<OptionsSchema<T>>>;
    },
    docs() {
      return [...walk(specs)].map(([path, spec]) => {
        const { type, allowed } = describeType(spec.schema);
        const fallback = defaultOf(spec.schema);
        return {
          path: path.join('.'),
          env: spec.env,
          type,
          default: fallback === undefined ? undefined : formatValue(fallback, spec.secret ?? false),
          allowed,
          description: spec.description,
        };
      });
    },
  };
}

/**
 * Validates options that are not described by specs (for example a map of named pools) with the
 * same error format, so every module's start-up errors read alike.
 */
export function parseOptions<S extends z.ZodType>(moduleName: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw optionsError(moduleName, result.error.issues, input, new Map());
}

function optionsError(
  moduleName: string,
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  specByPath: ReadonlyMap<string, OptionSpec>,
): BallastOptionsError {
  const problems = issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    return keys.map((path) => {
      const name = path.map(String).join('.') || '(options)';
      const spec = specByPath.get(name);
      const env = spec?.env ? ` (env ${spec.env})` : '';
      if (issue.code === 'unrecognized_keys') {
        const parent = path.slice(0, -1).map(String).join('.');
        const known = [...specByPath.keys()]
          .filter((p) => (parent ? p.startsWith(`${parent}.`) : true))
          .map((p) => (parent ? p.slice(parent.length + 1) : p).split('.')[0]);
        return `${name}: unknown option; allowed: ${[...new Set(known)].join(', ') || 'none'}`;
      }
      const value = formatValue(getPath(input, path), spec?.secret ?? false);
      return `${name}${env} = ${value}: ${issue.message}`;
    });
  });
  return new BallastOptionsError(`${moduleName}: invalid options\n  - ${problems.join('\n  - ')}`, {
    module: moduleName,
    problems,
  });
}
