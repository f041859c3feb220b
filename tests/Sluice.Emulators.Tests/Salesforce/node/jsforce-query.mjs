// conn.query with autoFetch across queryMore, queryAll, relationship fields, WHERE/ORDER BY/LIMIT and a SOQL error,
// as jsforce sends them (see SalesforceJsforceQueryTests.cs).
export default async function ({ connect }) {
  const conn = connect();
  await conn.login('admin@sluice.test', 'sluice');

  const all = await conn.query('SELECT Id, Name FROM Account ORDER BY Name', { autoFetch: true, maxFetch: 100000 });

  const manual = await conn.query('SELECT Id FROM Account', { headers: { 'Sforce-Query-Options': 'batchSize=500' } });
  const more = await conn.queryMore(manual.nextRecordsUrl);

  const related = await conn.query(
    "SELECT LastName, Account.Name, Account.Owner.Email FROM Contact " +
    "WHERE Account.Name LIKE 'Account 000%' AND (Email != null OR LastName = 'Nobody') ORDER BY LastName DESC NULLS LAST LIMIT 3");

  const deleted = await conn.query('SELECT Id, Name, IsDeleted FROM Account WHERE IsDeleted = true', { scanAll: true });
  const live = await conn.query('SELECT COUNT() FROM Account');

  let error = null;
  try {
    await conn.query('SELECT Nme FROM Account');
  } catch (e) {
    error = { name: e.name, errorCode: e.errorCode, message: e.message };
  }

  return {
    total: all.totalSize,
    fetched: all.records.length,
    done: all.done,
    first: all.records[0].Name,
    last: all.records[all.records.length - 1].Name,
    attributes: all.records[0].attributes,
    manualBatch: manual.records.length,
    manualDone: manual.done,
    moreBatch: more.records.length,
    related: related.records,
    deleted: deleted.records.map((r) => ({ name: r.Name, isDeleted: r.IsDeleted })),
    liveCount: live.totalSize,
    error,
  };
}
