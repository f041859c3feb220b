using System.Diagnostics;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Core.Telemetry;

/// <summary>
/// A span around each write to a destination (a Segment batch request, an insert into a table), a child of the batch's
/// span, tagged with what came back: how many records were acknowledged and refused, or the class of the error.
/// </summary>
internal static class DestinationSpans
{
    public static Task<IReadOnlyList<WriteResult>> WriteAsync(IDestination destination, IReadOnlyList<EncodedRecord> records, CancellationToken ct) =>
        // Not a span, not even an async frame, when nothing listens: this is every batch's path.
        SluiceTelemetry.ActivitySource.HasListeners() ? TracedAsync(destination, records, ct) : destination.WriteAsync(records, ct);

    private static async Task<IReadOnlyList<WriteResult>> TracedAsync(IDestination destination, IReadOnlyList<EncodedRecord> records, CancellationToken ct)
    {
        using var span = SluiceTelemetry.ActivitySource.StartActivity(SluiceTelemetry.DestinationWriteSpan, ActivityKind.Client, Activity.Current?.Context ?? default,
            [new(SluiceTelemetry.DestinationAttribute, destination.Description), new("sluice.write.records", records.Count)]);
        try
        {
            var results = await destination.WriteAsync(records, ct);
            if (span is not null)
            {
                var acknowledged = results.Count(r => r.Status == WriteStatus.Ok);
                span.SetTag("sluice.write.acknowledged", acknowledged);
                span.SetTag("sluice.write.rejected", results.Count - acknowledged);
                span.SetTag(SluiceTelemetry.OutcomeAttribute, acknowledged == results.Count ? "ok" : acknowledged == 0 ? "rejected" : "partly rejected");
            }

            return results;
        }
        catch (Exception e) when (span is not null)
        {
            span.SetTag(SluiceTelemetry.OutcomeAttribute, e is SluiceException classified ? classified.Class.ToString().ToLowerInvariant() : "error");
            span.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
