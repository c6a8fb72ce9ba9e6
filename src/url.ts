const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]'])

/** An absolute URL, or `undefined` for anything that does not parse as one. */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/**
 * Parses an absolute `https:` URL, or an `http:` one on a loopback host (for development);
 * anything else is `undefined`.
 */
export function parseSecureUrl(value: unknown): URL | undefined {
  const url = typeof value === 'string' ? parseUrl(value) : undefined
  return url?.protocol === 'https:' ||
    (url?.protocol === 'http:' && loopbackHosts.has(url.hostname))
    ? url
    : undefined
}
