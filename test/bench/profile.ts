// Where the main thread spends a reload of oidc-browser's app: Chromium's sampling CPU profiler
// (DevTools protocol), from the reload to signed in, grouped by who ran.
import { apps, appUrl, logIn, newAppContext, ready, type Bench } from './apps.js'
import { spread } from './spread.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
}

const groups = [
  'oidc-browser bundle (our code and jose)',
  'IndexedDB calls (open, transaction, get, …)',
  'WebCrypto calls',
  'browser work (parsing, layout, GC, other scripts)',
  'idle (waiting for IndexedDB, the network or the renderer)',
] as const
const indexedDbCalls = new Set(['open', 'transaction', 'objectStore', 'get', 'put', 'delete'])

function groupOf({ functionName, url }: ProfileNode['callFrame']): (typeof groups)[number] {
  if (functionName === '(idle)') return groups[4]
  if (url.endsWith('/bench/oidc-browser.js')) return groups[0]
  if (!url && indexedDbCalls.has(functionName)) return groups[1]
  if (!url && ['importKey', 'verify', 'digest'].includes(functionName)) return groups[2]
  return groups[3]
}

const contexts = Number(process.env.BENCH_TRACE_CONTEXTS ?? 5)

export async function profileReload(bench: Bench): Promise<string> {
  const app = apps[0]
  const times = new Map(groups.map((group) => [group, [] as number[]]))
  const library: number[] = []
  for (let round = 0; round < contexts; round++) {
    const context = await newAppContext(bench, app)
    const page = await context.newPage()
    await page.goto(appUrl(bench, app))
    await ready(page, false)
    await logIn(page)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 })
    await cdp.send('Profiler.start')
    await page.reload()
    library.push((await ready(page)).library)
    const { profile } = await cdp.send('Profiler.stop')
    const nodes = new Map((profile.nodes as ProfileNode[]).map((node) => [node.id, node]))
    const sums = new Map(groups.map((group) => [group, 0]))
    // Each sample's time is the delta to the next one, in microseconds.
    profile.samples!.forEach((id, i) => {
      const group = groupOf(nodes.get(id)!.callFrame)
      sums.set(group, sums.get(group)! + (profile.timeDeltas![i + 1] ?? 0) / 1000)
    })
    for (const group of groups) times.get(group)!.push(sums.get(group)!)
    await context.close()
  }
  const f = (values: number[]) => spread(values).median.toFixed(1)
  return [
    `#### Main thread on a reload, by who ran (${contexts} fresh contexts, not instrumented; median ms)`,
    '',
    "Sampled every 0.1 ms from the reload to signed in, so the page's own loading is in it too;",
    `library time in these runs: ${f(library)} ms.`,
    '',
    '| who ran | ms |',
    '| --- | ---: |',
    ...groups.map((group) => `| ${group} | ${f(times.get(group)!)} |`),
  ].join('\n')
}
