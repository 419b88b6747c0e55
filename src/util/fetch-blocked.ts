/**
 * Node's fetch refuses, by the Fetch standard, to connect to a list of "bad ports" (4190, 6000,
 * 6666, 10080, …) and says only "fetch failed" with a cause of "bad port". A service listening
 * there is then never ready and a probe never answered, for a reason nobody would guess: every
 * place that reports a failed fetch names it with this.
 */
export function blockedPortText(e: unknown, url: string): string | undefined {
  const cause = (e as { cause?: { message?: unknown } } | undefined)?.cause;
  if (cause?.message !== 'bad port') return undefined;
  let port = '';
  try {
    port = new URL(url).port;
  } catch {
    // the URL was checked when the config was read; without it the message still says why
  }
  return `fetch refuses port ${port || '(this one)'}: it is one of the ports the Fetch standard blocks (such as 4190, 6000, 6666, 10080); use another port`;
}
