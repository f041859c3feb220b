using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Sluice.Server.Ingest.Internal;

namespace Sluice.Server.Ingest;

/// <summary>Maps the ingest API: Segment's Tracking API under <c>/v1/*</c> and Sluice's envelope at <c>/v1/events</c> (docs/ingest.md).</summary>
public static class IngestEndpoints
{
    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder endpoints, IngestApiOptions options)
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
        endpoints.Map("/v1/events", envelope.HandleAsync);
        endpoints.Map("/v1/{call}", tracking.HandleAsync);
        return endpoints;
    }
}
