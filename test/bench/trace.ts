// Where oidc-browser's library time goes on a reload and on a callback with cached discovery
// and JWKS: a pass of its own (the instrumentation costs a little), in fresh contexts, which
// times each IndexedDB open and transaction, each WebCrypto call and each fetch in the page.
import type { Page } from 'playwright-core'
import { apps, appUrl, logIn, newAppContext, ready, type Bench } from './apps.js'
import { profileReload } from './profile.js'
import { spread, type Spread } from './spread.js'
import { repoRoot } from '../support/static-server.js'

interface TraceEvent {
  name: string
  start: number
  end: number
}

/** The page's events, relative to the first statement of the app's bundle. */
async function events(page: Page, known: number): Promise<TraceEvent[]> {
  const { trace, t1 } = await page.evaluate(() => ({
    trace: (window as unknown as { __trace: TraceEvent[] }).__trace,
    t1: window.t1,
  }))
  // Only what happened before the state was known counts; each name numbered by occurrence.
  const seen = new Map<string, number>()
  return trace
    .filter((event) => event.start - t1 <= known)
    .sort((a, b) => a.start - b.start)
    .map((event) => {
      const count = (seen.get(event.name) ?? 0) + 1
      seen.set(event.name, count)
      const name = count > 1 ? `${event.name} (#${count})` : event.name
      return { name, start: event.start - t1, end: event.end - t1 }
    })
}

const contexts = Number(process.env.BENCH_TRACE_CONTEXTS ?? 5)

function table(title: string, runs: TraceEvent[][], known: number[]): string {
  const names = new Map<string, { start: number[]; end: number[] }>()
  for (const run of runs)
    for (const event of run) {
      const times = names.get(event.name) ?? { start: [], end: [] }
      times.start.push(event.start)
      times.end.push(event.end)
      names.set(event.name, times)
    }
  const f = (value: number) => value.toFixed(1)
  const range = ({ median, min, max }: Spread) => `${f(median)} (${f(min)}–${f(max)})`
  const rows = [...names]
    .map(([name, { start, end }]) => ({
      name,
      start: spread(start),
      took: spread(end.map((value, i) => value - start[i])),
      count: start.length,
    }))
    .sort((a, b) => a.start.median - b.start.median)
    .map(
      ({ name, start, took, count }) =>
        `| ${name} | ${f(start.median)} | ${range(took)} | ${count}/${runs.length} |`,
    )
  return [
    `#### ${title}`,
    '',
    '| step | starts at, ms | takes, ms (min–max) | in runs |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    `| **state known** | **${f(spread(known).median)}** | | |`,
  ].join('\n')
}

export async function traceOidcBrowser(bench: Bench): Promise<string> {
  const app = apps[0]
  const reloads: TraceEvent[][] = []
  const callbacks: TraceEvent[][] = []
  const known = { reload: [] as number[], callback: [] as number[] }
  const floor = { open: [] as number[], read: [] as number[] }
  for (let round = 0; round < contexts; round++) {
    const context = await newAppContext(bench, app)
    const page = await context.newPage()
    await page.goto(`${bench.server.origin}/bench/idb-floor.html`)
    await page.evaluate(() => (window as unknown as { floor: Promise<unknown> }).floor)
    await page.reload()
    const bare = await page.evaluate(
      () => (window as unknown as { floor: Promise<{ open: number; read: number }> }).floor,
    )
    floor.open.push(bare.open)
    floor.read.push(bare.read)
    await context.addInitScript({ path: `${repoRoot}/test/bench/pages/trace.js` })
    await page.goto(appUrl(bench, app))
    await ready(page, false)
    await logIn(page)
    await page.reload()
    const reload = await ready(page)
    reloads.push(await events(page, reload.library))
    known.reload.push(reload.library)
    await page.evaluate(() => window.app.forget())
    await page.reload()
    await ready(page, false)
    const callback = await logIn(page)
    callbacks.push(await events(page, callback.library))
    known.callback.push(callback.library)
    await context.close()
  }
  return [
    `### Where oidc-browser's library time goes (${contexts} instrumented fresh contexts; median)`,
    '',
    'Each IndexedDB open and transaction (with the operations it ran; a read transaction counts until',
    'its last result, a write one until it committed), each WebCrypto call and each fetch the page',
    'made before the state was known, timed by wrappers installed before any script;',
    "times from the first statement of the app's bundle. The wrappers add a little time of their own,",
    'so these runs are not the ones timed above. Steps that overlap run at the same time.',
    '',
    table('Reload, signed in', reloads, known.reload),
    '',
    'The floor under it, in the same contexts without instrumentation: a bare page of the same',
    `origin that opens an IndexedDB database on a reload takes **${spread(floor.open).median.toFixed(1)} ms** to`,
    `open it and **${spread(floor.read).median.toFixed(1)} ms** more to read one record (medians).`,
    '',
    await profileReload(bench),
    '',
    table('Callback with cached discovery and JWKS', callbacks, known.callback),
  ].join('\n')
}
