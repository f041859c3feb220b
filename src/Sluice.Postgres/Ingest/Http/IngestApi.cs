using Sluice.Core.Connectors;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>
/// The ingest API's routes (docs/ingest.md): Segment's Tracking API under <c>/v1/*</c> and Sluice's envelope at
/// <c>/v1/events</c>, writing to the ingest queue. The <c>ingest</c> connector contributes them to <c>sluice run</c>'s
/// web server (<see cref="IngestConnector.Routes"/>); the server mounts them without knowing what they are.
/// </summary>
public static class IngestApi
{
    public static IReadOnlyList<HttpRoute> Routes(IngestApiOptions options)
    {
        if (options.Sources.Count == 0)
        {
            throw new ArgumentException("The ingest API needs at least one ingest source.", nameof(options));
        }

        var keys = new WriteKeyDirectory(options.Sources);
        var sink = new IngestSink(options);
        var tracking = new TrackingHandler(options, keys, sink);
        var envelope = new EnvelopeHandler(options, keys, sink);

        // Every method reaches the handlers, which answer CORS preflights and a 405 themselves, as Segment's edge does.
        // The literal /v1/events outranks the /v1/{call} pattern.
        return [new HttpRoute("/v1/events", envelope.HandleAsync), new HttpRoute("/v1/{call}", tracking.HandleAsync)];
    }
}
