namespace Sluice.Postgres.Ingest.Http;

/// <summary>One invalid field: <paramref name="Path"/> is e.g. <c>events[2].occurredAt</c>; <paramref name="Index"/> is null for the request itself.</summary>
internal sealed record EnvelopeError(int? Index, string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
