/**
 * What a GraphQL document may cost before it is validated. Parsing and
 * validating are the work anyone can make the server do without signing in:
 * a 52 kB document of 1,500 fragment spreads took ~400 ms of event loop to
 * refuse, and a comment made each one new to the validation cache. So, as
 * GraphQL Armor does, a document is refused (400, BAD_USER_INPUT, before
 * validation) when it is larger, has more tokens, more fragments or more
 * directives than any real client sends, with a wide margin: the largest
 * document of the web app and the browser client is ~430 bytes and ~75 tokens.
 * Documents that passed are remembered (by their text), so the hot path pays
 * one lookup.
 *
 * @example
 *   checkDocumentCost('{ me { id } }'); // passes; a hostile document throws requestError(400, …)
 */
import { type DocumentNode, Kind, parse, visit } from 'graphql';
import { LRUCache } from 'lru-cache';
import { requestError } from './errors.js';

export const DOCUMENT_LIMITS = {
  /** Bytes of the `query` text (the JSON body as a whole stays under 64 KiB). */
  bytes: 8 * 1024,
  /** graphql-js stops parsing past this many tokens. */
  tokens: 1000,
  /** Fragment definitions plus spreads plus inline fragments. */
  fragments: 20,
  directives: 20,
};

const passed = new LRUCache<string, true>({ max: 1000 });

function countParts(document: DocumentNode): { fragments: number; directives: number } {
  let fragments = 0;
  let directives = 0;
  visit(document, {
    [Kind.FRAGMENT_DEFINITION]: () => void fragments++,
    [Kind.FRAGMENT_SPREAD]: () => void fragments++,
    [Kind.INLINE_FRAGMENT]: () => void fragments++,
    [Kind.DIRECTIVE]: () => void directives++,
  });
  return { fragments, directives };
}

/** Refuse a document that costs more than any real client's; syntax errors are left to Mercurius. */
export function checkDocumentCost(query: string): void {
  if (passed.has(query)) return;
  if (query.length > DOCUMENT_LIMITS.bytes || Buffer.byteLength(query) > DOCUMENT_LIMITS.bytes) {
    throw requestError(400, `Document too large: at most ${DOCUMENT_LIMITS.bytes} bytes`);
  }
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: DOCUMENT_LIMITS.tokens, noLocation: true });
  } catch (e) {
    // Matched by message ("more that" is graphql-js 16's spelling): Mercurius and this module may load
    // different copies of graphql (CJS/ESM), so instanceof cannot tell.
    if (/more tha[nt] \d+ tokens/.test(String((e as Error | undefined)?.message))) {
      throw requestError(400, `Document too complex: at most ${DOCUMENT_LIMITS.tokens} tokens`);
    }
    return; // a syntax error: Mercurius answers it (BAD_USER_INPUT) as before
  }
  const { fragments, directives } = countParts(document);
  if (fragments > DOCUMENT_LIMITS.fragments)
    throw requestError(400, `Too many fragments: at most ${DOCUMENT_LIMITS.fragments} per document`);
  if (directives > DOCUMENT_LIMITS.directives)
    throw requestError(400, `Too many directives: at most ${DOCUMENT_LIMITS.directives} per document`);
  passed.set(query, true);
}
