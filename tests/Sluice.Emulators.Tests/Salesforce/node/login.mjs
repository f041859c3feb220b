// Logs in by the flow named in args.flow and proves the session works with one REST call.
// flows: password (OAuth2 username-password), soap (no client id/secret: jsforce falls back to SOAP login),
// client_credentials, jwt (args.assertion signed by the test), refresh (args.refreshToken on a Connection
// that starts with an expired access token: jsforce must refresh on the 401 and replay).
export default async function ({ jsforce, baseUrl, args, connect }) {
  let conn;
  switch (args.flow) {
    case 'password':
      conn = connect();
      await conn.login(args.username, args.password);
      break;
    case 'soap':
      conn = connect({ clientId: null });
      await conn.login(args.username, args.password);
      break;
    case 'client_credentials':
      conn = connect();
      await conn.authorize({ grant_type: 'client_credentials' });
      break;
    case 'jwt':
      conn = connect({ clientId: null });
      await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: args.assertion });
      break;
    case 'refresh': {
      let refreshed = 0;
      conn = new jsforce.Connection({
        instanceUrl: baseUrl,
        accessToken: args.accessToken,
        refreshToken: args.refreshToken,
        version: '62.0',
        oauth2: { loginUrl: baseUrl, clientId: 'sluice-client', clientSecret: 'sluice-secret' },
      });
      conn.on('refresh', () => { refreshed += 1; });
      const limits = await conn.limits();
      return { refreshed, remaining: limits.DailyApiRequests.Remaining, changed: conn.accessToken !== args.accessToken };
    }
    default:
      throw new Error(`unknown flow ${args.flow}`);
  }
  const limits = await conn.limits();
  return {
    userId: conn.userInfo?.id,
    organizationId: conn.userInfo?.organizationId,
    instanceUrl: conn.instanceUrl,
    remaining: limits.DailyApiRequests.Remaining,
    apiUsage: conn.limitInfo?.apiUsage,
  };
}
