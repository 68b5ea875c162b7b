/** Validated `PoolModule` options with defaults filled in. */
export const POOL_MODULE_OPTIONS_RESOLVED = Symbol('ballast:pool-options');

/** Token of the TypeORM DataSource Ballast created for a named database. */
export function dataSourceToken(name = 'default'): string {
  return `ballast:pool:data-source:${name}`;
}
