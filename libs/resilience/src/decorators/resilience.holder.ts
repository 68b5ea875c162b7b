import { resilienceOptions } from '../resilience.options.js';
import { ResilienceRuntime } from '../resilience.runtime.js';

/**
 * Where decorated methods find their runtime at call time. `ResilienceModule` installs its runtime
 * in `onModuleInit` and removes it on shutdown; until then (or in code that runs without Nest) the
 * decorators use a standalone runtime built from the defaults and the environment. Reaching it
 * lazily is what makes the decorators work on classes Nest did not create and from `@Cron` jobs.
 */
export class ResilienceHolder {
  private static readonly installed: ResilienceRuntime[] = [];
  private static standaloneRuntime: ResilienceRuntime | undefined;

  static install(runtime: ResilienceRuntime): void {
    if (!this.installed.includes(runtime)) this.installed.push(runtime);
  }

  static uninstall(runtime: ResilienceRuntime): void {
    const index = this.installed.indexOf(runtime);
    if (index >= 0) this.installed.splice(index, 1);
  }

  /** The most recently initialized module's runtime, or the standalone one. */
  static current(): ResilienceRuntime {
    return this.installed[this.installed.length - 1] ?? this.standalone();
  }

  static get hasModule(): boolean {
    return this.installed.length > 0;
  }

  static standalone(): ResilienceRuntime {
    if (this.standaloneRuntime === undefined || this.standaloneRuntime.isClosed) {
      this.standaloneRuntime = new ResilienceRuntime(resilienceOptions.parse(resilienceOptions.fromEnv()));
    }
    return this.standaloneRuntime;
  }

  /** Closes the standalone runtime (tests, or a script about to exit). */
  static async closeStandalone(): Promise<void> {
    const runtime = this.standaloneRuntime;
    this.standaloneRuntime = undefined;
    await runtime?.close();
  }
}
