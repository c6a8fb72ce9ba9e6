const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Parses an absolute `https:` URL, or an `http:` one on a loopback host (for development);
 * anything else is `undefined`.
 */
export function parseSecureUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && loopbackHosts.has(url.hostname)) return url
  return undefined
}
