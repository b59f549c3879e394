/**
 * The logger's configuration: credentials never reach the logs, whatever the
 * level. Secrets are kept out here, by configuration, never by hand at each
 * call site:
 *
 * - headers that carry them (Authorization, Cookie, Set-Cookie) and fields
 *   named like them are redacted;
 * - request URLs are logged without their query string (a GET /graphql puts
 *   the document and its variables there);
 * - errors are logged from an allow-list of fields: a failed SQL statement
 *   keeps its text but never its parameters (a password hash, an email, a
 *   token's id), which drivers copy into `message`, `stack` and `params`.
 *
 * @example
 *   Fastify({ logger: loggerOptions('info') });
 */
import type { FastifyBaseLogger } from 'fastify';

/** Where log lines go (pino's destination): stdout unless a test reads them. */
export interface LogStream {
  write(line: string): void;
}

/** Fields named like a credential: redacted in a line's own fields and one level down. */
const secretFields = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'refreshToken',
  'accessToken',
  'code',
  'totpCode',
  'recoveryCode',
  'emailCode',
  'challenge',
  'passkeyResponse',
  'secret',
  'codes',
];

/** Paths the logger must never print: credentials travel in these. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...secretFields,
  ...secretFields.map((field) => `*.${field}`),
  'variables',
];

/** `/graphql?query=…&variables=…` → `/graphql?[redacted]`. */
export function urlWithoutQuery(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  return q === -1 ? url : `${url!.slice(0, q)}?[redacted]`;
}

/** Drivers append the bound values to the message (`…\nparams: a,b,c`): cut them off. */
const withoutParams = (text: unknown) =>
  typeof text === 'string'
    ? text.replace(/\nparams: [\s\S]*?(?=\n {4}at |\ncaused by|$)/g, '\nparams: [redacted]')
    : undefined;

interface LoggedError {
  type: string;
  message?: string;
  stack?: string;
  code?: unknown;
  statusCode?: unknown;
  /** SQL text (placeholders only: values are bound separately). */
  query?: unknown;
  cause?: LoggedError;
}

/** An error as the logs may show it: type, message, stack, code, SQL text and cause — nothing else. */
export function serializeError(err: unknown, depth = 0): LoggedError | undefined {
  if (!(err instanceof Error))
    return err === undefined ? undefined : { type: typeof err, message: withoutParams(String(err)) };
  const e = err as Error & { code?: unknown; statusCode?: unknown; query?: unknown };
  return {
    type: e.constructor?.name ?? e.name,
    message: withoutParams(e.message),
    stack: withoutParams(e.stack),
    code: e.code,
    statusCode: e.statusCode,
    query: typeof e.query === 'string' ? e.query : undefined,
    cause: depth < 5 && e.cause !== undefined ? serializeError(e.cause, depth + 1) : undefined,
  };
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Pino options for the server's logger (level from LOG_LEVEL; `stream` for tests that read the logs). */
export function loggerOptions(level: string, stream?: LogStream) {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
      err: serializeError,
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: urlWithoutQuery(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    ...(stream ? { stream } : {}),
  };
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
/** Pino's loggers can say whether a level is on; Fastify's logger type does not promise it. */
type LevelAware = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/**
 * A request's logger, made when it first writes a line: a pino child runs the redaction
 * paths over its bindings when made, which is costly for a logger most requests never use
 * (their access lines are at debug; docs/performance.md). The child, once made, is the
 * same as Fastify's own.
 */
class LazyRequestLogger {
  #child: LevelAware | undefined;

  constructor(
    private readonly parent: LevelAware,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  #logger(): LevelAware {
    return (this.#child ??= this.parent.child(this.bindings, this.options) as LevelAware);
  }

  #write(level: Level, args: unknown[]): void {
    if (!(this.#child ?? this.parent).isLevelEnabled(level)) return;
    (this.#logger()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  fatal(...args: unknown[]) {
    this.#write('fatal', args);
  }
  error(...args: unknown[]) {
    this.#write('error', args);
  }
  warn(...args: unknown[]) {
    this.#write('warn', args);
  }
  info(...args: unknown[]) {
    this.#write('info', args);
  }
  debug(...args: unknown[]) {
    this.#write('debug', args);
  }
  trace(...args: unknown[]) {
    this.#write('trace', args);
  }
  silent() {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: see LazyRequestLogger. A logger that cannot tell its level gets its child at once. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  if (typeof (logger as Partial<LevelAware>).isLevelEnabled !== 'function' || options.level)
    return logger.child(bindings, options);
  return new LazyRequestLogger(logger as LevelAware, bindings, options) as unknown as FastifyBaseLogger;
}
