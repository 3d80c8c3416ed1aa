/**
 * How library modules speak: a small logger handed in by whoever runs them. The action's logger writes workflow
 * commands through @actions/core (src/pipeline/log.ts); the CLI's writes plain lines to stderr. No library module
 * imports @actions/core, so the CLI never prints `::warning::` to a terminal.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
}

/** Plain lines on stderr, for the CLI and scripts; debug only with DEBUG set. */
export const consoleLogger: Logger = {
  debug: (m) => {
    if (process.env.DEBUG) process.stderr.write(`debug: ${m}\n`);
  },
  info: (m) => process.stderr.write(`${m}\n`),
  warning: (m) => process.stderr.write(`warning: ${m}\n`),
};

/** Says nothing (tests, and callers that report otherwise). */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warning: () => {} };
