import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEMO_MAIN = `${ROOT}apps/demo/dist/main.js`;

export interface DemoExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
}

/** The built demo (or any Nest main of the same shape) as a child process, its output kept for the report. */
export class DemoProcess {
  private output = '';
  private lines = 0;
  readonly exited: Promise<DemoExit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    exited: Promise<DemoExit>,
    output: string,
  ) {
    this.exited = exited;
    this.output = output;
    child.stdout?.on('data', (chunk: Buffer) => this.append(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.append(chunk));
  }

  static async start(env: Record<string, string>, main = DEMO_MAIN, startTimeoutMs = 60_000): Promise<DemoProcess> {
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', LOG_LEVEL: 'log', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<DemoExit>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
    );
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the demo logged no URL within ${startTimeoutMs} ms:\n${output.slice(-4000)}`));
      }, startTimeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stderr?.off('data', onData);
          resolve(match[1]!.replace('localhost', '127.0.0.1'));
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited (${code}) before listening:\n${output.slice(-4000)}`));
      });
    });
    return new DemoProcess(child, url, exited, output);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get log(): string {
    return this.output;
  }

  /** Lines the demo has written to stdout and stderr since it logged its URL (log floods show here). */
  get linesWritten(): number {
    return this.lines;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with how it ended. */
  async stop(graceMs = 30_000): Promise<DemoExit & { killed: boolean }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      return { ...(await this.exited), killed: false };
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          this.child.kill('SIGKILL');
          resolve(true);
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
    return { ...(await this.exited), killed };
  }

  private append(chunk: Buffer): void {
    // Keep the last 2 MB: a fault can make the demo log a lot.
    const text = chunk.toString();
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lines++;
    this.output += text;
    if (this.output.length > 4_000_000) this.output = this.output.slice(-2_000_000);
  }
}
