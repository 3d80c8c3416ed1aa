// ESLint: typescript-eslint's recommended type-checked rules over the sources, scripts and tests; Prettier owns
// formatting (so no stylistic rules here). Rules are relaxed only where a whole folder's nature asks for it, and
// each relaxation says why.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', '__tests__/fixtures/**', 'examples/**', 'agents/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `_name` marks an argument a signature needs but the body does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
    },
  },
  {
    // Plain JavaScript files (this config, scripts/*.mjs) run on Node: give them its globals (process, console...),
    // which TypeScript files get from @types/node instead.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // Library code never writes workflow commands: only the action's entry and its pipeline talk to @actions/core.
    files: ['src/**/*.ts'],
    ignores: [
      'src/main.ts',
      'src/config/inputs.ts',
      'src/pipeline/log.ts',
      'src/pipeline/outputs.ts',
      'src/pipeline/summary.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@actions/core',
              message: 'Take a Logger (src/log.ts) instead; only the action layer imports @actions/core.',
            },
          ],
        },
      ],
    },
  },
);
