namespace Sluice.Segment.Protocol;

/// <summary>Segment's documented request limits (HTTP Tracking API page unless noted).</summary>
public static class SegmentLimits
{
    /// <summary>"There is a maximum of 32KB per normal API request ... a limit of 32KB per event in the batch" → 400.</summary>
    public const int MaxEventBytes = 32 * 1024;

    /// <summary>"The batch API endpoint accepts a maximum of 500KB per request" → 400.</summary>
    public const int MaxBatchBytes = 500 * 1024;

    /// <summary>Over 2,500 events Segment "returns a 200 response but rejects the event" (http-api "Errors").</summary>
    public const int MaxEventsPerBatch = 2_500;

    /// <summary>spec-field-message-id.md: "messageId ... max 100 characters".</summary>
    public const int MaxMessageIdLength = 100;

    /// <summary>analytics-next caps a 429's Retry-After at 300 s (`maxRetryInterval`); more is never useful.</summary>
    public const int MaxRetryAfterSeconds = 300;
}
