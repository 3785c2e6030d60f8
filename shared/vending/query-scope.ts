/** The `scope` query parameter both functions accept, as an FC 3.0 HTTP trigger delivers it. */
import { TvmError } from '../errors';

/**
 * The scope named in the query, or `undefined` when none (or an empty one) is given.
 *
 * An FC 3.0 HTTP trigger hands a query parameter given several times to the function as one
 * string, its values joined by commas: `?scope=user&scope=user` arrives as
 * `{"scope": "user,user"}` ("Use an HTTP trigger to invoke a function", request struct,
 * `queryParameters`: `"parameter2": "value1,value2"`,
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function).
 * No scope name holds a comma, so a comma means the scope was given more than once.
 *
 * @throws {@link TvmError} 400 `MalformedRequest` for a scope given more than once.
 * @example
 * ```ts
 * scopeFromQuery({ scope: 'shared' }); // 'shared'
 * scopeFromQuery({});                  // undefined
 * scopeFromQuery({ scope: 'a,b' });    // throws 400 MalformedRequest
 * ```
 */
export function scopeFromQuery(query: Readonly<Record<string, string>>): string | undefined {
  const value = query['scope'];
  if (value === undefined || value === '') return undefined;
  if (value.includes(',')) throw new TvmError(400, 'MalformedRequest', 'The scope is given more than once in the query: name one scope.');
  return value;
}
