// Runs in the page (any engine): every record of oidc-browser's IndexedDB store, by key.
export function readStoredRecords(): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('oidc-browser')
    open.onupgradeneeded = () => open.result.createObjectStore('kv')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const store = open.result.transaction('kv').objectStore('kv')
      const keys = store.getAllKeys()
      const values = store.getAll()
      values.onsuccess = () => {
        open.result.close()
        resolve(Object.fromEntries(keys.result.map((key, i) => [String(key), values.result[i]])))
      }
    }
  })
}

// Runs in the page (any engine): what the page can see and do with the stored session's DPoP
// private key (a CryptoKey cannot travel to the test, so it is described here).
export async function describeStoredDpopKey() {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('oidc-browser')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => resolve(open.result)
  })
  const store = db.transaction('kv').objectStore('kv')
  const [keys, values] = [store.getAllKeys(), store.getAll()]
  await new Promise((resolve) => (values.onsuccess = resolve))
  db.close()
  const index = keys.result.findIndex((key) => String(key).endsWith('session'))
  const privateKey: CryptoKey | undefined = values.result[index]?.dpopKey?.privateKey
  if (!privateKey) return undefined
  const exported = await crypto.subtle.exportKey('jwk', privateKey).then(
    () => 'exported',
    (error: Error) => error.name,
  )
  return {
    extractable: privateKey.extractable,
    curve: (privateKey.algorithm as EcKeyAlgorithm).namedCurve,
    exported,
  }
}
