// A virtual X display for WebKitGTK's MiniBrowser, which has no headless mode.
import { spawn, type ChildProcess } from 'node:child_process'

/** An Xvfb server on the first free display; MiniBrowser has no headless mode. */
export async function startXvfb(): Promise<{ name: string; process: ChildProcess }> {
  const xvfb = spawn(
    '/usr/bin/Xvfb',
    ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x800x24'],
    {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    },
  )
  process.once('exit', () => xvfb.kill())
  const number = await new Promise<string>((resolve, reject) => {
    let out = ''
    xvfb.stdio[3]!.on('data', (data) => {
      out += data
      if (out.includes('\n')) resolve(out.trim())
    })
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)))
  })
  return { name: `:${number}`, process: xvfb }
}
