/** The vend-token suite once more, served by the web server adapter (the web profile) instead of FC events. */
import { useAdapter } from '../helpers/adapters';

useAdapter('web');
await import('./vend-token.test');
