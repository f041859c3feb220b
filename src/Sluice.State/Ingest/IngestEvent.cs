namespace Sluice.State.Ingest;

/// <summary>
/// One event accepted by the ingest API, ready to be made durable in the ingest queue. The queue stores it as
/// given; destinations read it back through the ingest source (columns <c>event_id, source, kind, type, event,
/// received_at, payload</c>).
/// </summary>
/// <param name="Source">The ingest source (a <c>type: ingest</c> connection) whose write key sent it.</param>
/// <param name="EventId">Deterministic for a replay: from the Segment <c>messageId</c> or the envelope's <c>idempotencyKey</c>.</param>
/// <param name="Kind"><see cref="IngestEventKind.Segment"/> or <see cref="IngestEventKind.Envelope"/>.</param>
/// <param name="Type">Segment: identify, track, page, screen, group or alias. Envelope: its <c>eventType</c>.</param>
/// <param name="Event">A track's event name (or a page's/screen's name); the envelope's <c>eventType</c>; otherwise <c>null</c>.</param>
/// <param name="ReceivedAt">When Sluice received it (stamped by the API).</param>
/// <param name="Payload">The whole event as UTF-8 JSON, normalised (Segment: <c>messageId</c>, <c>receivedAt</c>, corrected <c>timestamp</c>).</param>
public sealed record IngestEvent(string Source, Guid EventId, string Kind, string Type, string? Event, DateTimeOffset ReceivedAt, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The W3C <c>traceparent</c> of the request that brought the event, when it was traced (<see cref="IngestTrace"/>).</summary>
    public string? TraceParent { get; init; }
}

/// <summary>The two shapes of event the ingest API accepts.</summary>
public static class IngestEventKind
{
    /// <summary>A Segment Tracking API call (identify, track, page, screen, group, alias).</summary>
    public const string Segment = "segment";

    /// <summary>The canonical envelope of <c>POST /v1/events</c>.</summary>
    public const string Envelope = "envelope";
}

/// <summary>The durable ingest queue: <see cref="EnqueueAsync"/> completes only once the events are committed in PostgreSQL.</summary>
public interface IIngestQueue
{
    /// <summary>
    /// Commits the events (sharing the commit with concurrent callers); throws a classified <c>SluiceException</c> when it
    /// cannot. The payloads are copied before the call first yields: the caller may reuse their memory once it returns.
    /// </summary>
    Task EnqueueAsync(IReadOnlyList<IngestEvent> events, CancellationToken ct);
}
