// Bundles the action into dist/ with esbuild: one file per entry, no code splitting,
// so the runner executes exactly what is committed. esbuild (not rollup): one dependency,
// native TypeScript, ~1 s builds, and deterministic output that the dist check can diff.
import { build } from 'esbuild';
import { chmod, cp, rm, mkdir } from 'node:fs/promises';

/**
 * Packages whose modules do nothing when imported, though their package.json does not say so (`sideEffects`). Marking
 * them lets esbuild drop the modules a run never uses: @actions/core's OIDC client pulls in @actions/http-client and
 * with it undici (~790 KB, evaluated at startup: ~25 ms and ~10 MB RSS) and tunnel, for getIDToken, which we never call.
 */
const SIDE_EFFECT_FREE = ['@actions/core', '@actions/http-client'];

/** @type {import('esbuild').Plugin} */
const sideEffectFree = {
  name: 'side-effect-free',
  setup(b) {
    const inPackage = new RegExp(`/node_modules/(${SIDE_EFFECT_FREE.map((p) => p.replace('/', '\\/')).join('|')})/`);
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === sideEffectFree) return undefined; // our own resolve call below
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: sideEffectFree,
      });
      if (r.errors.length || !inPackage.test(r.path)) return undefined;
      return { path: r.path, namespace: r.namespace, sideEffects: false };
    });
  },
};

/**
 * The Bedrock and Vertex SDKs (AWS and Google code, ~2 MB each with their copy of the Anthropic SDK) are bundled into
 * files of their own, which src/model/provider.ts imports only when `provider` names them: a run on the Anthropic
 * API never parses them. So is the prompt with its Markdown renderer (GFM and HTML parsers, GitHub's sanitizer
 * allowlist: ~850 KB), which src/session/session.ts imports when a run reaches the model: a comment that is not a
 * command, or is refused, never parses it (~0.1 s less at every start).
 */
/** @type {import('esbuild').Plugin} */
const providerFiles = {
  name: 'provider-files',
  setup(b) {
    b.onResolve({ filter: /^\.\/(provider-bedrock|provider-vertex|prompt)\.ts$/ }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.ts$/, '.js'), external: true },
    );
  },
};

await rm('dist', { recursive: true, force: true });
await mkdir('dist', { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  // Not minified: stack traces in bug reports stay readable, and minifying did not measurably speed up loading
  // (V8 only pre-parses functions it does not run); dropping unused modules did (npm run bench).
  minifyWhitespace: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [sideEffectFree, providerFiles],
  // CommonJS dependencies bundled into ESM still call require() for node built-ins.
  banner: {
    js: "import { createRequire as __bda_createRequire } from 'node:module'; const require = __bda_createRequire(import.meta.url);",
  },
};
await build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist' });
// Glob/Grep's matching worker (src/tools/offload.ts starts it from the file beside the bundle): a thread that a
// deadline can terminate when a pathological pattern would otherwise block the action's event loop.
await build({ ...common, entryPoints: { 'match-worker': 'src/tools/match-worker.ts' }, outdir: 'dist' });
// WebFetch's HTML-to-Markdown worker (src/tools/web-fetch.ts starts it from the file beside the bundle): parse5 and
// the Markdown writer load only when a run fetches an HTML page, and a slow conversion cannot block the event loop.
await build({ ...common, entryPoints: { 'html-worker': 'src/tools/html-worker.ts' }, outdir: 'dist' });
await build({
  ...common,
  entryPoints: {
    'provider-bedrock': 'src/model/provider-bedrock.ts',
    'provider-vertex': 'src/model/provider-vertex.ts',
    prompt: 'src/session/prompt.ts',
  },
  outdir: 'dist',
});
// The local CLI (npx backend-developer-action run "<task>"): the same pieces, its own entry.
await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
});
await chmod('dist/cli.js', 0o755);
// Built-in agents ship beside the bundle; agent files resolve their reference docs relative to themselves.
await cp('agents', 'dist/agents', { recursive: true });
