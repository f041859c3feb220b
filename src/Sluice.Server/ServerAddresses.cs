namespace Sluice.Server;

/// <summary>Where <c>sluice run</c> listens once it does (a port 0 resolved to the one bound).</summary>
/// <param name="Ingest">The ingest API's listener (<c>server.listen</c>).</param>
/// <param name="Admin">The dashboard's, admin API's and <c>/metrics</c>' listener (<c>server.admin_listen</c>).</param>
public sealed record ServerAddresses(Uri Ingest, Uri Admin);
