// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** The Lambda handlers, one folder each under lambda/; lambda/runtime/ is their shared plumbing. */
const HANDLERS = ['backup-verify', 'intake-api', 'operations', 'process', 'quarantine', 'scan'];

const NO_TEST_OR_BENCH = {
  regex: '^(\\.\\./)+(bench|test)(/|$)',
  message: 'only bench/ and test/ import bench/ or test/ code.',
};

/**
 * The layers: bench → cli, local, lib, lambda → core. core/ is the domain every host runs (Lambda, the CLI, local
 * mode, the CDK app's contracts), so it imports no host and no CDK; nothing but bench and test import bench or test;
 * a handler never imports another handler (they share through core/ or lambda/runtime/).
 */
const layering = [
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(lib|cli|local|lambda|bench|bin|scripts|test)(/|$)',
              message:
                'core/ is the domain every host uses: it never imports a host (lib, cli, local, lambda, bench).',
            },
            {
              regex: '^(aws-cdk-lib|constructs)(/|$)',
              message: 'core/ runs in Lambda, the CLI and local mode: the CDK stays in lib/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/**/*.ts', 'cli/**/*.ts', 'local/**/*.ts', 'bin/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_TEST_OR_BENCH] }] },
  },
  ...[...HANDLERS, 'runtime'].map((self) => ({
    files: [`lambda/${self}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST_OR_BENCH,
            {
              regex: `^\\.\\./(${HANDLERS.filter((other) => other !== self).join('|')})(/|$)`,
              message: `lambda/${self}/ never imports another handler: share through core/ or lambda/runtime/.`,
            },
          ],
        },
      ],
    },
  })),
];

export default tseslint.config(
  {
    ignores: ['node_modules/', 'cdk.out/', 'coverage/', '.stowage/', 'bench/results/', '**/*.js', '**/*.mjs'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: 'error',
      'no-console': 'off',
    },
  },
  ...layering,
  // The upload page's browser script (local/web/app.js): a classic script (no build step, no modules) with the
  // browser globals it uses declared by hand, and `module` for the Node unit tests that load its pure helpers.
  { ignores: ['!local/web/**/*.js'] },
  {
    files: ['local/web/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
        FormData: 'readonly',
        AbortSignal: 'readonly',
        module: 'readonly',
      },
    },
  },
  prettier,
);
