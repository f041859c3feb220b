// Runs one scenario against the Sluice Salesforce emulator with jsforce, unchanged (pinned in package-lock.json).
// Usage: node run.mjs <scenario.mjs> <emulatorBaseUrl> [argsJson]
// A scenario module exports `default async function ({ jsforce, baseUrl, args, connect })` and returns anything
// JSON-serializable; run.mjs prints it as one JSON line on stdout and exits 0. Any thrown error exits 1 with
// {"error": name, "message": ...} on stdout, so the C# test can assert on jsforce's own error names.
import jsforce from 'jsforce';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [scenarioFile, baseUrl, argsJson] = process.argv.slice(2);
if (!scenarioFile || !baseUrl) {
  console.error('usage: node run.mjs <scenario.mjs> <emulatorBaseUrl> [argsJson]');
  process.exit(2);
}

const args = argsJson ? JSON.parse(argsJson) : {};
const trimmed = baseUrl.replace(/\/$/, '');

// A jsforce Connection pointed at the emulator: the only change from production use is the URLs.
function connect(options = {}) {
  const { clientId = 'sluice-client', clientSecret = 'sluice-secret', version = '62.0', ...rest } = options;
  return new jsforce.Connection({
    loginUrl: trimmed,
    version,
    oauth2: clientId ? { loginUrl: trimmed, clientId, clientSecret } : undefined,
    ...rest,
  });
}

try {
  const scenario = await import(pathToFileURL(path.resolve(scenarioFile)).href);
  const result = await scenario.default({ jsforce, baseUrl: trimmed, args, connect });
  console.log(JSON.stringify(result ?? null));
} catch (err) {
  console.log(JSON.stringify({ error: err?.name ?? 'Error', errorCode: err?.errorCode, message: err?.message ?? String(err), data: err?.data }));
  process.exit(1);
}
