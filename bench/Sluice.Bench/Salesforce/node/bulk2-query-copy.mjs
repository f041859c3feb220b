// jsforce's own Bulk API 2.0 query of an object, its records piped into a PostgreSQL table by COPY (pg-copy-streams):
// the yardstick the salesforce-source bench measures Sluice's initial load against (bench/README.md).
// Usage: node bulk2-query-copy.mjs <instance url> <postgres url> <table> <columns> <soql>
//   <columns>: the table's columns, comma-separated, in the order of the SOQL's fields.
// Prints one JSON line: the rows COPY reports.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import jsforce from 'jsforce';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const [baseUrl, pgUrl, table, columnList, soql] = process.argv.slice(2);
if (!baseUrl || !pgUrl || !table || !columnList || !soql) {
  console.error('usage: node bulk2-query-copy.mjs <instance url> <postgres url> <table> <columns> <soql>');
  process.exit(64);
}

// The SOQL's fields, in order: a record from jsforce's CSV parser names them as the results' header does.
const fields = soql.replace(/^\s*SELECT\s+/i, '').split(/\s+FROM\s+/i)[0].split(',').map((f) => f.trim());

const conn = new jsforce.Connection({
  loginUrl: baseUrl,
  version: '62.0',
  oauth2: { loginUrl: baseUrl, clientId: 'sluice-client', clientSecret: 'sluice-secret' },
});
await conn.login('admin@sluice.test', 'sluice');

const client = new pg.Client({ connectionString: pgUrl });
await client.connect();

// COPY's CSV: an unquoted empty field is NULL (Bulk API results write null as empty), anything else quoted.
const cell = (value) => (value === null || value === undefined || value === '' ? '' : `"${String(value).replaceAll('"', '""')}"`);
const valueOf = (record, field) => {
  if (field in record) return record[field];
  return field.split('.').reduce((v, part) => (v === null || v === undefined ? v : v[part]), record);
};

const copy = client.query(copyFrom(`COPY ${table} (${columnList}) FROM STDIN (FORMAT csv)`));
const records = await conn.bulk2.query(soql, { pollTimeout: 1_200_000 });
let chunk = '';
for await (const record of records) {
  chunk += fields.map((f) => cell(valueOf(record, f))).join(',') + '\n';
  if (chunk.length >= 65_536) {
    if (!copy.write(chunk)) await once(copy, 'drain');
    chunk = '';
  }
}
copy.end(chunk);
await finished(copy);
await client.end();
console.log(JSON.stringify({ rows: Number(copy.rowCount) }));
