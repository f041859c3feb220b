namespace Sluice.Bench.Ingest;

/// <summary>
/// One generated Segment track call: the fields the raw COPY writes as columns, and where its JSON sits in the
/// request body of its batch (<see cref="TrackBatch.Body"/>), so the COPY writes exactly the bytes the API got.
/// </summary>
internal sealed record TrackEvent(Guid MessageId, string Event, string UserId, DateTime Timestamp, int Offset, int Length);
