using System.Net;
using System.Net.Http.Headers;

namespace Sluice.Salesforce.Bulk;

/// <summary>The upload's body, written straight onto the request stream rather than built in memory first.</summary>
internal sealed class BulkCsvContent : HttpContent
{
    private readonly BulkRows _rows;

    public BulkCsvContent(BulkRows rows)
    {
        _rows = rows;
        Headers.ContentType = new MediaTypeHeaderValue("text/csv");
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _rows.WriteCsvAsync(stream, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _rows.WriteCsvAsync(stream, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
