/** The sign-request suite once more, served by the web server adapter (the web profile) instead of FC events. */
import { afterAll } from 'vitest';
import { useAdapter } from '../helpers/adapters';

useAdapter('web');
// A worker runs file after file in one module graph (vitest.config.ts): the query makes the suite a
// module of its own, which runs again even where the worker has already run it, and the files this
// worker runs next are served by FC events again.
afterAll(() => useAdapter('event'));
const suite = './sign-request.test?web';
await import(suite);
