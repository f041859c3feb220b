using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// <c>/query</c>, <c>/queryAll</c> and their cursors: runs a query, answers the first batch
/// (<c>totalSize</c>, <c>done</c>, <c>nextRecordsUrl</c>, <c>records</c>) and keeps the rest behind a locator
/// <c>01g…</c>. <c>nextRecordsUrl</c> is always <c>/services/data/vXX.X/query/{locator}-{offset}</c>, also after a
/// queryAll, because jsforce rebuilds it from the last path segment.
/// </summary>
internal sealed class QueryService
{
    /// <summary>Records per batch unless <c>Sforce-Query-Options: batchSize=N</c> says otherwise (200–2,000).</summary>
    public const int DefaultBatchSize = 2000;

    public const int MinBatchSize = 200;

    private readonly SalesforceOrg _org;
    private readonly OrgSoqlSource _source;
    private readonly ConcurrentDictionary<string, QueryCursor> _cursors = new(StringComparer.Ordinal);
    private long _sequence;

    public QueryService(SalesforceOrg org, TimeSpan? cursorLifetime = null)
    {
        _org = org;
        _source = new OrgSoqlSource(org);
        CursorLifetime = cursorLifetime ?? TimeSpan.FromMinutes(15);
    }

    /// <summary>How long an unused cursor lives.</summary>
    public TimeSpan CursorLifetime { get; }

    /// <summary>The org as SOQL sees it (Bulk query jobs run their SOQL over it too).</summary>
    public ISoqlOrg Source => _source;

    /// <summary>Open cursors (for tests and the admin view).</summary>
    public int OpenCursors => _cursors.Count;

    /// <summary>Runs <paramref name="soql"/> and writes the first batch. Throws <see cref="SoqlException"/> for a bad query.</summary>
    public void Run(Utf8JsonWriter writer, string soql, bool includeDeleted, int batchSize, string apiVersion)
    {
        Expire();
        var result = SoqlEvaluator.Execute(soql, _source, includeDeleted);
        string? locator = null;
        if (result.Rows.Count > batchSize)
        {
            locator = SalesforceId.Create("01g", Interlocked.Increment(ref _sequence));
            _cursors[locator] = new QueryCursor(locator, result, batchSize, _org.Time.GetUtcNow());
        }

        WritePage(writer, result, 0, batchSize, locator, apiVersion);
    }

    /// <summary>
    /// Writes the batch at <c>{locator}-{offset}</c>. An unknown, expired or finished locator is Salesforce's
    /// <c>INVALID_QUERY_LOCATOR</c>.
    /// </summary>
    public void More(Utf8JsonWriter writer, string locatorAndOffset, int? batchSize, string apiVersion)
    {
        Expire();
        var dash = locatorAndOffset.LastIndexOf('-');
        var locator = dash > 0 ? locatorAndOffset[..dash] : locatorAndOffset;
        var offset = 0;
        if ((dash > 0 && !int.TryParse(locatorAndOffset[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            || !_cursors.TryGetValue(locator, out var cursor) || offset > cursor.Result.Rows.Count)
        {
            throw new SoqlException("INVALID_QUERY_LOCATOR", "invalid query locator");
        }

        cursor.LastUsed = _org.Time.GetUtcNow();
        var size = batchSize ?? cursor.BatchSize;
        var done = offset + size >= cursor.Result.Rows.Count;
        if (done)
        {
            _cursors.TryRemove(locator, out _);
        }

        WritePage(writer, cursor.Result, offset, size, done ? null : locator, apiVersion);
    }

    /// <summary>The batch size a <c>Sforce-Query-Options</c> header asks for, clamped to 200–2,000, or null.</summary>
    public static int? ParseBatchSize(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        foreach (var part in header.Split(',', ';'))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length == 2 && pair[0].Equals("batchSize", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                return Math.Clamp(size, MinBatchSize, DefaultBatchSize);
            }
        }

        return null;
    }

    private void WritePage(Utf8JsonWriter writer, SoqlResult result, int offset, int size, string? locator, string apiVersion)
    {
        writer.WriteStartObject();
        writer.WriteNumber("totalSize", result.TotalSize);
        writer.WriteBoolean("done", locator is null);
        if (locator is not null)
        {
            writer.WriteString("nextRecordsUrl", $"/services/data/v{apiVersion}/query/{locator}-{offset + size}");
        }

        writer.WriteStartArray("records");
        if (result.Aggregate is { } aggregate)
        {
            writer.WriteStartObject();
            SoqlProjection.WriteAttributes(writer, "AggregateResult", null);
            foreach (var (name, count) in aggregate)
            {
                writer.WriteNumber(name, count);
            }

            writer.WriteEndObject();
        }
        else if (result.Projection is { } projection)
        {
            var end = Math.Min(result.Rows.Count, offset + size);
            for (var i = offset; i < end; i++)
            {
                projection.Write(writer, result.Rows[i], _source, apiVersion);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private void Expire()
    {
        var oldest = _org.Time.GetUtcNow() - CursorLifetime;
        foreach (var (locator, cursor) in _cursors)
        {
            if (cursor.LastUsed < oldest)
            {
                _cursors.TryRemove(locator, out _);
            }
        }
    }
}
