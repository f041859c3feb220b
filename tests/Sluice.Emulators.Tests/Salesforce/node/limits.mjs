// conn.limits() and the api-usage jsforce parses from Sforce-Limit-Info.
export default async function ({ args, connect }) {
  const conn = connect();
  await conn.login(args.username, args.password);
  const limits = await conn.limits();
  return { dailyApiRequests: limits.DailyApiRequests, apiUsage: conn.limitInfo?.apiUsage };
}
