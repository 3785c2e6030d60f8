/** The whole mobile flow once more, with the sandbox serving the functions as the web profile does (its default). */
import { afterAll } from 'vitest';
import { useAdapter } from '../helpers/adapters';

useAdapter('web');
// A worker runs file after file in one module graph (vitest.config.ts): the query makes the suite a
// module of its own, which runs again even where the worker has already run it, and the files this
// worker runs next are served by FC events again.
afterAll(() => useAdapter('event'));
const suite = './mobile-flow.test?web';
await import(suite);
