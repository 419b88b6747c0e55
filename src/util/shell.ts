import { quote } from 'shell-quote';

/** One shell word, safe to paste into a terminal. */
export function shellQuote(word: string): string {
  return quote([word]);
}

/**
 * Is this shell command one simple command, whose exit code is therefore the program's own?
 * Any unquoted `;`, `&` (`&&`, background), `|` (`||`, pipes) or newline between words makes it
 * several steps, and then the exit code may come from a step other than the test runner (`pytest;
 * exit 1`, `pytest && ./deploy-check`). Text inside quotes, `$(…)`, backticks and comments is not
 * a separator. Conservative on purpose: whatever it cannot read as one command counts as several.
 */
export function isSingleCommand(cmd: string): boolean {
  const text = cmd.trim();
  let quote: '' | "'" | '"' = '';
  let depth = 0; // inside $( … )
  let backtick = false;
  let wordStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = '';
      continue;
    }
    if (ch === '\\') {
      i++;
      wordStart = false;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = '';
      else if (ch === '$' && text[i + 1] === '(') {
        depth++;
        i++;
      } else if (ch === '`') backtick = !backtick;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      wordStart = false;
      continue;
    }
    if (ch === '`') {
      backtick = !backtick;
      continue;
    }
    if (ch === '$' && text[i + 1] === '(') {
      depth++;
      i++;
      continue;
    }
    if (depth > 0 || backtick) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      continue;
    }
    if (ch === '#' && wordStart) {
      // A comment runs to the end of the line; a newline after it would start another command.
      const nl = text.indexOf('\n', i);
      if (nl === -1) break;
      i = nl - 1;
      continue;
    }
    if (ch === ';' || ch === '&' || ch === '|' || ch === '\n') return false;
    wordStart = ch === ' ' || ch === '\t' || ch === '(' || ch === ')';
  }
  // An unclosed quote or substitution: the shell will not read it as we did.
  return quote === '' && depth === 0 && !backtick;
}
