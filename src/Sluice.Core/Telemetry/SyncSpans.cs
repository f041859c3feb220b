using System.Diagnostics;
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
}
