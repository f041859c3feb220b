using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Segment.Protocol;

/// <summary>
/// Segment's answers (reference §1.6): <c>200 {"success":true}</c> and <c>400 {"success":false,"message":…}</c>,
/// with the messages real clients and users know.
/// </summary>
public static partial class SegmentAnswers
{
    /// <summary>Empty or refused write key (observed: segmentio/analytics-go#205).</summary>
    public const string InvalidWriteKey = "An invalid write key was provided";

    /// <summary>analytics.js users see this for an event over 32 KB (js faq.md).</summary>
    public const string ExceedPayloadLimit = "Exceed payload limit";

    /// <summary>A batch over 500 KB (http-api "Max request size").</summary>
    public const string ExceedBatchLimit = "Exceed payload limit: a batch request may be at most 500 KB";

    /// <summary>
    /// Request headers a browser preflights: analytics-next sends Authorization and, on retries, X-Retry-Count, which
    /// are not CORS-safelisted (reference §1.2).
    /// </summary>
    public const string CorsAllowedHeaders = "Authorization, Content-Type, Content-Encoding, X-Retry-Count";

    private static readonly ErrorJson Json = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary><c>{"success":true}</c>.</summary>
    public static ReadOnlyMemory<byte> Success { get; } = """{"success":true}"""u8.ToArray();

    /// <summary>The 400 message for a body refused by <see cref="RequestBodyReader"/>.</summary>
    public static string ForRefusedBody(RequestBody body, TrackingRouteKind kind) =>
        body.Status == RequestBodyStatus.TooLarge
            ? kind == TrackingRouteKind.Batch ? ExceedBatchLimit : ExceedPayloadLimit
            : body.Problem ?? "Bad Request";

    /// <summary><c>{"success":false,"message":…}</c>.</summary>
    public static byte[] Error(string message) => JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(false, message), Json.ErrorBody);

    private sealed record ErrorBody(bool Success, string Message);

    /// <summary>Generated serialization of <see cref="ErrorBody"/> (no reflection: Native AOT needs it).</summary>
    [JsonSerializable(typeof(ErrorBody))]
    private sealed partial class ErrorJson : JsonSerializerContext;
}
