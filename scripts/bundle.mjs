// Bundles the action into dist/ with esbuild: one file per entry, no code splitting,
// so the runner executes exactly what is committed. esbuild (not rollup): one dependency,
// native TypeScript, ~1 s builds, and deterministic output that the dist check can diff.
import { build } from 'esbuild';
import { chmod, cp, rm, mkdir } from 'node:fs/promises';

await rm('dist', { recursive: true, force: true });
await mkdir('dist', { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minifyWhitespace: false,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies bundled into ESM still call require() for node built-ins.
  banner: { js: "import { createRequire as __bda_createRequire } from 'node:module'; const require = __bda_createRequire(import.meta.url);" },
};
await build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist' });
// The local CLI (npx backend-developer-action run "<task>"): the same pieces, its own entry.
await build({ ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist', banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } });
await chmod('dist/cli.js', 0o755);
// Built-in agents ship beside the bundle; agent files resolve their reference docs relative to themselves.
await cp('agents', 'dist/agents', { recursive: true });
