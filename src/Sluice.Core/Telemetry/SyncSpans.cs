using System.Diagnostics;
using Sluice.Core.Engine;
using Sluice.Core.State;

namespace Sluice.Core.Telemetry;

/// <summary>The spans the engine starts itself.</summary>
internal static class SyncSpans
{
    /// <summary>
    /// The span of one run; the stages run under it, so the destination's HTTP calls, the state store's queries and
    /// each batch's span are its children. Null when nothing listens.
    /// </summary>
    public static Activity? StartRun(string syncName, RunKind kind) =>
        SluiceTelemetry.ActivitySource.StartActivity(SluiceTelemetry.RunSpan, ActivityKind.Internal, parentContext: default,
            [new(SluiceTelemetry.SyncAttribute, syncName), new("sluice.run.kind", kind.ToString())]);

    /// <summary>
    /// Starts <paramref name="batch"/>'s span (a child of the run's, dated from when the batch was cut, linked to the
    /// traced requests its records came in) unless it has one, and makes it current until the scope is disposed. The
    /// telemetry observer ends it when the batch commits. Nothing is made, and no record looked at, when nothing listens.
    /// </summary>
    public static BatchScope EnterBatch(string syncName, OutgoingBatch batch)
    {
        if (!SluiceTelemetry.ActivitySource.HasListeners())
        {
            return default;
        }

        var previous = Activity.Current;
        batch.Span ??= SluiceTelemetry.ActivitySource.StartActivity(
            SluiceTelemetry.BatchSpan,
            ActivityKind.Internal,
            previous?.Context ?? default,
            [new(SluiceTelemetry.SyncAttribute, syncName)],
            LinksOf(batch.Records),
            DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(batch.CutAt));
        return new BatchScope(previous, batch.Span is not null);
    }

    /// <summary>The contexts of the traced requests the records came in, each once, at most <see cref="SluiceTelemetry.MaxBatchLinks"/>.</summary>
    internal static List<ActivityLink>? LinksOf(IReadOnlyList<Connectors.EncodedRecord> records)
    {
        List<ActivityLink>? links = null;
        HashSet<ActivityTraceId>? seen = null;
        foreach (var record in records)
        {
            if (record.Change.TraceParent is not { } traceParent
                || !ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out var context))
            {
                continue;
            }

            seen ??= [];
            if (seen.Add(context.TraceId))
            {
                (links ??= []).Add(new ActivityLink(context));
                if (links.Count == SluiceTelemetry.MaxBatchLinks)
                {
                    break;
                }
            }
        }

        return links;
    }

    /// <summary>Restores the activity that was current before <see cref="EnterBatch"/>.</summary>
    public readonly struct BatchScope(Activity? previous, bool entered) : IDisposable
    {
        public void Dispose()
        {
            if (entered)
            {
                Activity.Current = previous;
            }
        }
    }
}
