// Logs in by password, asks the C# side (through args.expireUrl, the emulator's admin API) to expire every
// token, then makes another call: jsforce must take the 401 INVALID_SESSION_ID, log in again and replay.
export default async function ({ args, connect }) {
  const conn = connect();
  await conn.login(args.username, args.password);
  const first = conn.accessToken;
  await conn.describeGlobal();
  const expired = await fetch(args.expireUrl, { method: 'POST' });
  if (!expired.ok) throw new Error(`expire-tokens answered ${expired.status}`);
  const account = await conn.sobject('Account').create({ Name: 'After expiry' });
  return { changed: conn.accessToken !== first, success: account.success, id: account.id };
}
