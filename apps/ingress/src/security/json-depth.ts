import { ErrorCode, ReqRunError } from '@reqrun/contracts';

/** Deeper than any API body needs (message content parts sit at depth ~6), shallow enough for every recursive walk after it. */
export const MAX_JSON_DEPTH = 64;

/**
 * 400 when the parsed body nests arrays or objects deeper than `max`. Iterative: a 2 MB body of `[[[[…` parses
 * fine but would overflow the stack of the first recursive walk (validation, JSON.stringify), a 500 for bad input.
 */
export function checkJsonDepth(body: unknown, max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[body, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) throw new ReqRunError(ErrorCode.TooDeep, `The JSON body is nested deeper than ${max} levels.`, 400);
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
}
