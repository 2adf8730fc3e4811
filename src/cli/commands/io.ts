/** What a command may touch of the outside world, passed in so tests can run it in-process. */
export interface CommandIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  signal?: AbortSignal;
}
