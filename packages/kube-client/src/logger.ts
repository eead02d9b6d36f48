/**
 * The logging surface kube-client needs: a subset of pino's API, so apps can pass their pino logger (or a child of it)
 * while this package stays free of a logging dependency.
 */
export interface KubeLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A logger that drops everything; the default when the caller passes none. */
export const silentLogger: KubeLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
