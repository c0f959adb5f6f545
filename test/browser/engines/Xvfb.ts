import { type ChildProcess, spawn } from 'node:child_process';

/**
 * An X server of our own on a display number the server picks (`-displayfd`), so WebKitGTK has a
 * screen on a machine without one and two test files never share a display. Killed by pid.
 */
export class Xvfb {
  private constructor(
    private readonly child: ChildProcess,
    readonly display: string,
  ) {}

  static async start(): Promise<Xvfb> {
    const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const display = await new Promise<string>((resolve, reject) => {
      let out = '';
      (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(`:${out.trim()}`);
      });
      child.once('error', (e) => reject(new Error(`Xvfb did not start (${e.message}). Install it: sudo apt-get install -y xvfb`)));
      child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${stderr.trim()}`)));
    });
    return new Xvfb(child, display);
  }

  /** Ends the server at once, without waiting (for a process 'exit' handler). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Ends the server and waits for it to exit (so no zombie outlives the test run). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
