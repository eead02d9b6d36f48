import type { CommandResult, CommandRunner, RunOptions } from '../command-runner.js';

export interface RecordedCall {
  readonly file: string;
  readonly args: readonly string[];
  readonly input: string | undefined;
  /** `file args...` joined by spaces, for readable assertions. */
  readonly line: string;
}

export type FakeResponder = (call: RecordedCall) => Partial<CommandResult> | undefined;

/** Records every command and answers from `respond` (default: exit 0, no output). */
export function createFakeRunner(respond: FakeResponder = () => undefined): CommandRunner & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    async run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
      const call = { file, args: [...args], input: options?.input, line: [file, ...args].join(' ') };
      calls.push(call);
      return { stdout: '', stderr: '', exitCode: 0, ...respond(call) };
    },
  };
}
