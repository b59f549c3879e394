/**
 * The one canonical form of an email address. It is computed once, where an
 * address comes in, and that form is what is stored, compared for uniqueness,
 * looked up, counted by the rate limits, bound into code hashes and mailed to.
 * Two spellings that differ only by case or Unicode composition are one
 * account; two addresses that merely look alike (`gmaİl.com`, whose domain is
 * `xn--gmail-bgd.com`) are two, and each gets its own mail.
 *
 * - the domain becomes lower-case ASCII through IDNA (UTS #46, `node:url`'s
 *   `domainToASCII`), as mail servers resolve it;
 * - the local part is NFC-normalised and lower-cased with the locale-independent
 *   Unicode mapping (`toLowerCase`, never `toLocaleLowerCase`), then NFC again,
 *   so the result is stable: canonical(canonical(x)) === canonical(x);
 * - control, format (bidi, zero-width), private-use and unassigned characters,
 *   quoting, comments, IP literals and anything but one plain `local@domain`
 *   are refused.
 *
 * @example
 *   canonicalEmail(' Victim.X@GMAIL.com ');  // 'victim.x@gmail.com'
 *   canonicalEmail('victim.x@gmaİl.com');    // 'victim.x@xn--gmail-bgd.com'
 *   canonicalEmail('a\u202E@example.com');   // throws AuthError BAD_USER_INPUT
 */
import { domainToASCII } from 'node:url';
import { AuthError } from './errors.js';

/** Any Unicode "other": control, format (bidi marks, zero-width), surrogate, private use, unassigned. */
const INVISIBLE = /\p{C}/u;
/** Characters that only appear in quoted or commented local parts, address lists or IP literals. */
const NOT_PLAIN = /[\s"(),:;<>@[\\\]]/u;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const invalid = () => new AuthError('BAD_USER_INPUT', 'Enter a valid email address', { field: 'email' });

/** The canonical form of `input`, or AuthError('BAD_USER_INPUT') naming the field `email`. */
export function canonicalEmail(input: string): string {
  const trimmed = input.trim();
  if (trimmed.length > 254 || INVISIBLE.test(trimmed)) throw invalid();
  const at = trimmed.lastIndexOf('@');
  if (at < 1) throw invalid();
  const local = trimmed.slice(0, at).normalize('NFC').toLowerCase().normalize('NFC');
  if (
    [...local].length > 64 ||
    NOT_PLAIN.test(local) ||
    local.startsWith('.') ||
    local.endsWith('.') ||
    local.includes('..')
  )
    throw invalid();
  const domain = domainToASCII(trimmed.slice(at + 1));
  const labels = domain.split('.');
  if (
    !domain ||
    domain.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => LABEL.test(l)) ||
    /^\d+$/.test(labels.at(-1)!)
  ) {
    throw invalid();
  }
  const email = `${local}@${domain}`;
  if (email.length > 254) throw invalid();
  return email;
}
