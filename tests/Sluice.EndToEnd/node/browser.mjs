// Opens page.html in headless Chromium (Debian's package, driven by playwright-core) with Segment's browser library
// (@segment/analytics-next, pinned in package-lock.json) pointed at the host given on the command line. The page and
// the library's UMD build are served by a local HTTP server in this script, so the browser posts cross-origin to
// Sluice, as a website would.
// Usage: node browser.mjs <sluiceUrl> <writeKey> <runId> <chromiumPath>
// Prints one JSON line: {calls:[{call, delivered, reason}], requests:[{method, path, status, contentType}]}.
// Exit code 0 when every call was delivered and Sluice answered each POST with 200; 1 with the reason otherwise.
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [sluiceUrl, writeKey, runId, chromiumPath] = process.argv.slice(2);
if (!sluiceUrl || !writeKey || !runId || !chromiumPath) {
  console.error('usage: node browser.mjs <sluiceUrl> <writeKey> <runId> <chromiumPath>');
  process.exit(2);
}

const CALLS = 5;
const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'node_modules', '@segment', 'analytics-next', 'dist', 'umd');
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };

// Only page.html and the library's own files; anything else is a 404 the page would show as an error.
async function serve(request, response) {
  const path = new URL(request.url, 'http://localhost').pathname;
  let file = null;
  if (path === '/page.html') {
    file = join(here, 'page.html');
  } else if (path.startsWith('/analytics-next/')) {
    const candidate = normalize(join(bundle, path.slice('/analytics-next/'.length)));
    file = candidate.startsWith(bundle) ? candidate : null;
  }
  try {
    const body = file ? await readFile(file) : null;
    if (!body) throw new Error('not found');
    response.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    response.end(body);
  } catch {
    response.writeHead(404).end();
  }
}

// Chromium's background services dial Google at start; on a closed network they only add refused connections.
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const failures = [];
const requests = [];
let calls = [];
const server = createServer(serve);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const profile = await mkdtemp(join(tmpdir(), 'sluice-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: flags, timeout: 30000 });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') failures.push(`console: ${message.text()} (${message.location()?.url ?? ''})`); });
  page.on('pageerror', (err) => failures.push(`page error: ${err.message}`));
  page.on('requestfailed', (request) => failures.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`));

  const api = new URL(sluiceUrl);
  const answered = [];
  page.on('response', (response) => {
    const request = response.request();
    const url = new URL(request.url());
    if (url.host !== api.host) return;
    requests.push({ method: request.method(), path: url.pathname, status: response.status(), contentType: request.headers()['content-type'] ?? null });
    if (request.method() === 'POST') answered.push(response.status());
  });

  await page.goto(`${origin}/page.html?${new URLSearchParams({ api: api.host, key: writeKey, run: runId })}`, { timeout: 30000 });
  // Undefined when the page's script did not run (the console and page errors above say why).
  calls = (await page.evaluate(() => window.sluiceCalls)) ?? [];
  // A call's promise settles when its request did; the response event may still be on its way to this process.
  const deadline = Date.now() + 10000;
  while (answered.length < CALLS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const c of calls) {
    if (!c.delivered) failures.push(`${c.call} was not delivered: ${c.reason}`);
  }
  if (calls.length !== CALLS) failures.push(`the page made ${calls.length} calls, not ${CALLS}`);
  if (answered.length !== CALLS || answered.some((status) => status !== 200)) {
    failures.push(`Sluice answered the POSTs with [${answered.join(', ')}], expected ${CALLS} × 200`);
  }
} catch (err) {
  failures.push(`browser: ${err?.message ?? err}`);
} finally {
  await context?.close().catch(() => {});
  server.close();
  await rm(profile, { recursive: true, force: true });
}

console.log(JSON.stringify({ calls, requests }));
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
