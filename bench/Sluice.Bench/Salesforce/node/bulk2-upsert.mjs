// jsforce's own Bulk API 2.0 upsert of a ready CSV file: the yardstick the salesforce bench measures Sluice's Bulk
// path against (bench/README.md). Usage: node bulk2-upsert.mjs <instance url> <csv file>
// Prints one JSON line: how many records jsforce reports successful, failed and unprocessed, and the first error.
import { createReadStream } from 'node:fs';
import jsforce from 'jsforce';

const [baseUrl, csvPath] = process.argv.slice(2);
if (!baseUrl || !csvPath) {
  console.error('usage: node bulk2-upsert.mjs <instance url> <csv file>');
  process.exit(64);
}

const conn = new jsforce.Connection({
  loginUrl: baseUrl,
  version: '62.0', // jsforce's default is 50.0; the Sluice connection uses 62.0 too
  oauth2: { loginUrl: baseUrl, clientId: 'sluice-client', clientSecret: 'sluice-secret' },
});
await conn.login('admin@sluice.test', 'sluice');

const results = await conn.bulk2.loadAndWaitForResults({
  object: 'Account',
  operation: 'upsert',
  externalIdFieldName: 'External_Id__c',
  input: createReadStream(csvPath),
  // jsforce's default poll interval (1 s) stands; its default timeout (30 s) is too short for 100,000 records on a
  // shared 2-core machine, where it would fail the run rather than measure it.
  pollTimeout: 600_000,
});

console.log(JSON.stringify({
  successful: results.successfulResults.length,
  failed: results.failedResults.length,
  unprocessed: results.unprocessedRecords.length,
  firstError: results.failedResults[0]?.sf__Error ?? null,
}));
