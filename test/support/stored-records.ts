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
