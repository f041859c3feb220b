using System.Text.Json;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>One envelope of <c>POST /v1/events</c> that passed validation. The elements live as long as the request's document.</summary>
internal sealed record EnvelopeEvent(
    string EventType,
    DateTimeOffset? OccurredAt,
    string? Source,
    string? CustomerExternalId,
    string? IdempotencyKey,
    string? CorrelationId,
    JsonElement? Payload,
    JsonElement? Metadata);
