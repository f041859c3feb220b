// describe, single-record CRUD, single upsert by external id (201 then 200 with created=false),
// array create/update/upsert/destroy through sObject Collections, retrieve, and errors as jsforce reports them.
export default async function ({ args, connect }) {
  const conn = connect();
  await conn.login(args.username, args.password);
  const out = {};

  const describe = await conn.sobject('Account').describe();
  out.describe = {
    keyPrefix: describe.keyPrefix,
    externalId: describe.fields.find((f) => f.name === 'External_Id__c')?.externalId,
    nameLength: describe.fields.find((f) => f.name === 'Name')?.length,
  };

  const created = await conn.sobject('Account').create({ Name: 'Single' });
  const read = await conn.sobject('Account').retrieve(created.id);
  const updated = await conn.sobject('Account').update({ Id: created.id, Phone: '555-0100' });
  const reread = await conn.sobject('Account').retrieve(created.id);
  const destroyed = await conn.sobject('Account').destroy(created.id);
  out.single = { created: created.success, name: read.Name, updated: updated.success, phone: reread.Phone, destroyed: destroyed.success };

  const first = await conn.sobject('Account').upsert({ External_Id__c: 'ext-1', Name: 'Upserted' }, 'External_Id__c');
  const second = await conn.sobject('Account').upsert({ External_Id__c: 'ext-1', Name: 'Upserted again' }, 'External_Id__c');
  out.upsert = { first: first.created, second: second.created, sameId: first.id === second.id };

  const many = await conn.sobject('Contact').create([
    { LastName: 'One', Email: 'one@example.com' },
    { LastName: 'Two', Email: 'two@example.com' },
    { FirstName: 'Missing last name' },
  ]);
  out.createMany = many.map((r) => ({ success: r.success, code: r.errors?.[0]?.statusCode ?? null }));
  const ids = many.filter((r) => r.success).map((r) => r.id);
  const updatedMany = await conn.sobject('Contact').update(ids.map((Id) => ({ Id, Title: 'Engineer' })));
  out.updateMany = updatedMany.map((r) => r.success);
  const upsertMany = await conn.sobject('Contact').upsert(
    [{ External_Id__c: 'c-1', LastName: 'Ext One' }, { External_Id__c: 'c-2', LastName: 'Ext Two' }],
    'External_Id__c',
  );
  const upsertAgain = await conn.sobject('Contact').upsert(
    [{ External_Id__c: 'c-1', LastName: 'Ext One Again' }, { External_Id__c: 'c-3', LastName: 'Ext Three' }],
    'External_Id__c',
  );
  out.upsertMany = upsertMany.map((r) => r.created).concat(upsertAgain.map((r) => r.created));
  const retrieved = await conn.sobject('Contact').retrieve(ids);
  out.retrieveMany = retrieved.map((r) => r.Title);
  const destroyedMany = await conn.sobject('Contact').destroy(ids);
  out.destroyMany = destroyedMany.map((r) => r.success);

  try {
    await conn.sobject('Contact').create({ LastName: 'x'.repeat(81) });
    out.tooLong = 'no error';
  } catch (err) {
    out.tooLong = err.errorCode ?? err.name;
  }

  out.apiUsage = conn.limitInfo?.apiUsage;
  return out;
}
