/**
 * A real third-party MCP server from npm (`@modelcontextprotocol/server-filesystem`, a dev dependency) installed the
 * way a workflow step would leave it for the action: one executable on PATH (`npm install -g` puts a bin there), next
 * to node. The sandbox shows PATH entries only, not this repository's node_modules, so the package is bundled into
 * that single file (esbuild, as the action itself is) — the server's own code and dependencies, unchanged.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

export const FILESYSTEM_SERVER_BIN = 'mcp-server-filesystem';

export interface InstalledServers {
  /** PATH for the action: the server's bin folder and node's, then the rest. */
  readonly path: string;
  readonly binDir: string;
  close(): Promise<void>;
}

export async function installFilesystemServer(): Promise<InstalledServers> {
  const root = await mkdtemp(join(tmpdir(), 'bda-mcp-prefix-'));
  const binDir = join(root, 'bin');
  await mkdir(binDir);
  // The bundle is an ES module, which node runs as one by its .mjs name; the bin beside it starts it.
  const out = join(binDir, `${FILESYSTEM_SERVER_BIN}.mjs`);
  await build({
    entryPoints: [
      resolve(import.meta.dirname, '../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'),
    ],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const bin = join(binDir, FILESYSTEM_SERVER_BIN);
  await writeFile(bin, `#!/bin/sh\nexec node ${out} "$@"\n`);
  await chmod(bin, 0o755);
  return {
    path: `${binDir}:${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    binDir,
    close: () => rm(root, { recursive: true, force: true }),
  };
}
