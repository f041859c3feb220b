namespace Sluice.State.Ingest;

/// <summary>An event the ingest API accepted, as the dashboard's live view shows it, with where it landed for each sync reading its source.</summary>
/// <param name="Source">The ingest source (connection) that accepted it.</param>
/// <param name="EventId">Its id in the queue: the record key the syncs know it by.</param>
/// <param name="Type">Segment's call type (<c>track</c>, <c>identify</c>, …) or the envelope's event type.</param>
/// <param name="Event">A track's event name; <c>null</c> for other calls.</param>
/// <param name="Payload">The event's JSON, cut at <see cref="RecentIngestEvents.PayloadLimit"/> characters.</param>
/// <param name="Landings">One per sync reading the source, in config order.</param>
public sealed record IngestedEvent(
    string Source,
    Guid EventId,
    string Type,
    string? Event,
    DateTimeOffset ReceivedAt,
    string Payload,
    IReadOnlyList<IngestLanding> Landings);
