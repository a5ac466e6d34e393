// ESLint (flat config): the recommended rules of ESLint, typescript-eslint (not type-aware: fast on 2 cores)
// and eslint-plugin-svelte. A rule turned off says why on its line.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
  { ignores: ['dist/', 'test-output/', 'docs/', '.vitest-attachments/', '**/__screenshots__/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // A leading underscore names a parameter or binding kept on purpose (a tfjs callback's signature, `{ type: _t, ...rest }`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
    rules: {
      // Our lists are redrawn whole from plain arrays whose items (tokens, texts, options) have no identity and may repeat; a duplicate key throws in Svelte 5.
      'svelte/require-each-key': 'off',
      // It flags every Set/URL in a .svelte.ts module; ours are listener sets and one-off URLs, never state the page should react to.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
);
