namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// The rest of a query's answer, kept for <c>GET …/query/{locator}-{offset}</c>: the result, the batch size the
/// first request asked for, and when it was last used (a cursor left alone for <see cref="QueryService.CursorLifetime"/>
/// expires, as Salesforce's do after 15 minutes).
/// </summary>
internal sealed class QueryCursor
{
    public QueryCursor(string locator, SoqlResult result, int batchSize, DateTimeOffset lastUsed)
    {
        Locator = locator;
        Result = result;
        BatchSize = batchSize;
        LastUsed = lastUsed;
    }

    public string Locator { get; }

    public SoqlResult Result { get; }

    public int BatchSize { get; }

    public DateTimeOffset LastUsed { get; set; }
}
