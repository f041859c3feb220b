// conn.bulk2.loadAndWaitForResults (upsert by external id, with failures in the data) and conn.bulk2.query, as
// jsforce sends them (see SalesforceJsforceBulkTests.cs).
export default async function ({ connect, args }) {
  const conn = connect();
  await conn.login('admin@sluice.test', 'sluice');

  const records = [];
  for (let i = 0; i < args.count; i++) {
    records.push({ External_Id__c: `acc-${i}`, Name: i === 7 ? null : i === 8 ? 'x'.repeat(300) : `Account ${i}`, NumberOfEmployees: i });
  }

  const upsert = () => conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'upsert',
    externalIdFieldName: 'External_Id__c',
    input: records,
    pollInterval: 200,
    pollTimeout: 60000,
  });

  const summarize = (res) => ({
    successful: res.successfulResults.length,
    created: res.successfulResults.filter((r) => r.sf__Created === 'true').length,
    failed: res.failedResults.map((r) => ({ ext: r.External_Id__c, error: r.sf__Error })).sort((a, b) => a.ext.localeCompare(b.ext)),
    unprocessed: res.unprocessedRecords.length,
    sampleId: res.successfulResults[0]?.sf__Id,
  });

  const first = summarize(await upsert());
  const second = summarize(await upsert());

  const csvJob = await conn.bulk2.loadAndWaitForResults({
    object: 'Contact',
    operation: 'insert',
    input: 'LastName,Email,Account.External_Id__c\nLovelace,ada@example.com,acc-1\nHopper,not-an-email,acc-2\n',
    pollInterval: 200,
    pollTimeout: 60000,
  });

  const stream = await conn.bulk2.query("SELECT Id, LastName, Email, Account.Name FROM Contact ORDER BY LastName", { pollInterval: 200, pollTimeout: 60000 });
  const queried = await new Promise((resolve, reject) => {
    const rows = [];
    // 'record' (not 'data') is what starts jsforce's CSV parsing.
    stream.on('record', (row) => rows.push(row));
    stream.on('end', () => resolve(rows));
    stream.on('error', reject);
  });

  const accounts = await conn.bulk2.query('SELECT Id FROM Account', { pollInterval: 200, pollTimeout: 60000 });
  const accountCount = await new Promise((resolve, reject) => {
    let n = 0;
    accounts.on('record', () => n++);
    accounts.on('end', () => resolve(n));
    accounts.on('error', reject);
  });

  return {
    first,
    second,
    contacts: { successful: csvJob.successfulResults.length, failed: csvJob.failedResults.map((r) => r.sf__Error) },
    queried,
    accountCount,
  };
}
