using System.Net;
using Sluice.Core.Connectors;
using Sluice.Segment.Protocol;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>The HTTP glue the tracking and envelope routes share: CORS, bounded body reads, JSON answers.</summary>
internal static class IngestHttp
{
    private const string Json = "application/json";

    /// <summary>
    /// The answer to a CORS preflight (204) or to a method other than POST (405); null for a POST, which the route handles.
    /// </summary>
    public static HttpIngressResponse? PreflightOrWrongMethod(HttpIngressRequest request)
    {
        if (string.Equals(request.Method, "OPTIONS", StringComparison.OrdinalIgnoreCase))
        {
            return new HttpIngressResponse((int)HttpStatusCode.NoContent, ReadOnlyMemory<byte>.Empty, null)
            {
                Headers =
                [
                    .. Cors(request),
                    new("Access-Control-Allow-Methods", "POST, OPTIONS"),
                    new("Access-Control-Allow-Headers", SegmentAnswers.CorsAllowedHeaders),
                    new("Access-Control-Max-Age", "86400"),
                ],
            };
        }

        if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return Answer(request, (int)HttpStatusCode.MethodNotAllowed, SegmentAnswers.Error("The ingest API only accepts POST")) with
            {
                Headers = [.. Cors(request), new("Allow", "POST, OPTIONS")],
            };
        }

        return null;
    }

    /// <summary>
    /// Reads the body, at most <paramref name="limit"/> bytes of JSON after inflation. The raw body is capped as well
    /// (twice the limit: gzip never needs more), so a slow or endless upload is cut off rather than read to the host's limit.
    /// </summary>
    public static async Task<RequestBody> ReadBodyAsync(HttpIngressRequest request, int limit)
    {
        request.LimitBody(2L * limit);
        try
        {
            return await RequestBodyReader.ReadAsync(request.Body, request.Header("Content-Encoding"), request.ContentLength, limit, request.Aborted);
        }
        catch (HttpBodyTooLargeException)
        {
            return new RequestBody(RequestBodyStatus.TooLarge, null);
        }
    }

    public static HttpIngressResponse Success(HttpIngressRequest request) => Answer(request, (int)HttpStatusCode.OK, SegmentAnswers.Success);

    public static HttpIngressResponse Error(HttpIngressRequest request, HttpStatusCode status, string message) =>
        Answer(request, (int)status, SegmentAnswers.Error(message));

    public static HttpIngressResponse Answer(HttpIngressRequest request, HttpStatusCode status, ReadOnlyMemory<byte> json) => Answer(request, (int)status, json);

    private static HttpIngressResponse Answer(HttpIngressRequest request, int status, ReadOnlyMemory<byte> json) =>
        new(status, json, Json) { Headers = Cors(request) };

    /// <summary>Browsers call the API from any site (analytics.js); credentials are the write key, not cookies.</summary>
    private static KeyValuePair<string, string>[] Cors(HttpIngressRequest request)
    {
        var origin = request.Header("Origin");
        return [new("Access-Control-Allow-Origin", origin.Length > 0 ? origin : "*"), new("Vary", "Origin")];
    }
}
