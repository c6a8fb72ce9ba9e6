// Installed before any script of a traced page: times each IndexedDB open and transaction (and
// the operations it ran), each WebCrypto call and each fetch, into window.__trace.
;(() => {
  const events = (window.__trace = [])
  const record = (name, start) => events.push({ name, start, end: performance.now() })
  const wrap = (target, method, label) => {
    const original = target[method]
    target[method] = function (...args) {
      const start = performance.now()
      const result = original.apply(this, args)
      Promise.resolve(result).then(
        () => record(label(args), start),
        () => {},
      )
      return result
    }
  }
  const algorithm = (alg) => alg?.name ?? alg
  wrap(
    SubtleCrypto.prototype,
    'importKey',
    ([format, , alg]) => `import key (${format}, ${algorithm(alg)})`,
  )
  wrap(SubtleCrypto.prototype, 'verify', ([alg]) => `verify signature (${algorithm(alg)})`)
  wrap(SubtleCrypto.prototype, 'digest', ([alg]) => `digest (${algorithm(alg)})`)
  wrap(
    window,
    'fetch',
    ([input]) => `fetch ${new URL(String(input?.url ?? input), location.href).pathname}`,
  )
  const open = IDBFactory.prototype.open
  IDBFactory.prototype.open = function (...args) {
    const start = performance.now()
    const request = open.apply(this, args)
    request.addEventListener('success', () => record('IndexedDB open', start))
    return request
  }
  // A read transaction counts until its last result is there; a write one until it committed.
  const operations = new WeakMap()
  const transaction = IDBDatabase.prototype.transaction
  IDBDatabase.prototype.transaction = function (...args) {
    const start = performance.now()
    const created = transaction.apply(this, args)
    const ops = { names: [], answered: start }
    operations.set(created, ops)
    const done = () => {
      const end = created.mode === 'readonly' ? ops.answered : performance.now()
      events.push({ name: `IndexedDB ${created.mode}: ${ops.names.join(', ')}`, start, end })
    }
    created.addEventListener('complete', done)
    created.addEventListener('abort', done)
    return created
  }
  // Keys are (issuer, client id) in JSON, then the record's name (a login's under its state).
  const short = (key) =>
    typeof key === 'string' ? key.replace(/^\[.*?\]/, '').replace(/^tx:.*/, 'tx:…') : 'range'
  for (const method of ['get', 'put', 'delete', 'openCursor']) {
    const original = IDBObjectStore.prototype[method]
    IDBObjectStore.prototype[method] = function (...args) {
      const ops = operations.get(this.transaction)
      ops?.names.push(`${method} ${short(method === 'put' ? args[1] : args[0])}`)
      const request = original.apply(this, args)
      request.addEventListener('success', () => ops && (ops.answered = performance.now()))
      return request
    }
  }
})()
