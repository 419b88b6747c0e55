import { quote } from 'shell-quote';

/** One shell word, safe to paste into a terminal. */
export function shellQuote(word: string): string {
  return quote([word]);
}
