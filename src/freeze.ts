/**
 * Freezes a fresh JSON parse at every depth, in place: nothing else holds it, and JSON has no
 * cycles. The validated claims and the userinfo answer are handed out so.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze)
    Object.freeze(value)
  }
  return value
}
