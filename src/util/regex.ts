/** `/re/flags` → RegExp; anything else is a plain pattern source. Throws on an invalid pattern. */
export function toRegExp(src: string): RegExp {
  const m = /^\/(.*)\/([dgimsuvy]*)$/s.exec(src);
  return m ? new RegExp(m[1] ?? '', m[2]) : new RegExp(src);
}
