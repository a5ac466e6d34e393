import { mount } from 'svelte';
import App from './App.svelte';
import { run } from './state/run.svelte';
import './ui/theme.css';

mount(App, { target: document.getElementById('app')! });

// Read-only handle for the end-to-end tests and for curious users in the console.
(globalThis as unknown as { __rlhf: unknown }).__rlhf = { run };
