/** The whole mobile flow once more, with the sandbox serving the functions as the web profile does (its default). */
import { useAdapter } from '../helpers/adapters';

useAdapter('web');
await import('./mobile-flow.test');
