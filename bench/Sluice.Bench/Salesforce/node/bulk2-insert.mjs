// Seeds an object of the emulator through jsforce's Bulk API 2.0 insert of a ready CSV file, for the salesforce-source
// bench (bench/README.md); untimed. Usage: node bulk2-insert.mjs <instance url> <object> <csv file>
// Prints one JSON line: how many records jsforce reports successful and failed, and the first error.
import { createReadStream } from 'node:fs';
import jsforce from 'jsforce';

const [baseUrl, object, csvPath] = process.argv.slice(2);
if (!baseUrl || !object || !csvPath) {
  console.error('usage: node bulk2-insert.mjs <instance url> <object> <csv file>');
  process.exit(64);
}

const conn = new jsforce.Connection({
  loginUrl: baseUrl,
  version: '62.0',
  oauth2: { loginUrl: baseUrl, clientId: 'sluice-client', clientSecret: 'sluice-secret' },
});
await conn.login('admin@sluice.test', 'sluice');

const results = await conn.bulk2.loadAndWaitForResults({
  object,
  operation: 'insert',
  input: createReadStream(csvPath),
  pollTimeout: 1_200_000,
});

console.log(JSON.stringify({
  successful: results.successfulResults.length,
  failed: results.failedResults.length,
  firstError: results.failedResults[0]?.sf__Error ?? null,
}));
