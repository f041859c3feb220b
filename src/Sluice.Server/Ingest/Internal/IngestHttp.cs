using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Segment.Protocol;

namespace Sluice.Server.Ingest.Internal;

/// <summary>The HTTP glue the tracking and envelope endpoints share: CORS, bounded body reads, JSON answers.</summary>
internal static class IngestHttp
{
    /// <summary>Browsers call the API from any site (analytics.js); credentials are the write key, not cookies.</summary>
    public static void AllowCors(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        context.Response.Headers.AccessControlAllowOrigin = origin.Length > 0 ? origin : "*";
        context.Response.Headers.Vary = "Origin";
    }

    /// <summary>
    /// Answers a CORS preflight (204) or a method other than POST (405), and returns false; true for a POST.
    /// </summary>
    public static async Task<bool> IsPostAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (HttpMethods.IsOptions(request.Method))
        {
            response.StatusCode = StatusCodes.Status204NoContent;
            response.Headers.AccessControlAllowMethods = "POST, OPTIONS";
            response.Headers.AccessControlAllowHeaders = SegmentAnswers.CorsAllowedHeaders;
            response.Headers.AccessControlMaxAge = "86400";
            return false;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST, OPTIONS";
            await WriteAsync(response, StatusCodes.Status405MethodNotAllowed, SegmentAnswers.Error("The ingest API only accepts POST"));
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads the body, at most <paramref name="limit"/> bytes of JSON after inflation. The raw body is capped as well
    /// (twice the limit: gzip never needs more), so a slow or endless upload is cut off rather than read to Kestrel's 30 MB.
    /// </summary>
    public static async Task<RequestBody> ReadBodyAsync(HttpContext context, int limit)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = 2L * limit;
        }

        var request = context.Request;
        try
        {
            return await RequestBodyReader.ReadAsync(request.Body, request.Headers.ContentEncoding.ToString(), request.ContentLength, limit, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new RequestBody(RequestBodyStatus.TooLarge, null);
        }
    }

    public static Task WriteSuccessAsync(HttpResponse response) => WriteAsync(response, StatusCodes.Status200OK, SegmentAnswers.Success);

    public static Task WriteErrorAsync(HttpResponse response, int statusCode, string message) => WriteAsync(response, statusCode, SegmentAnswers.Error(message));

    public static Task WriteAsync(HttpResponse response, int statusCode, ReadOnlyMemory<byte> json)
    {
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        response.ContentLength = json.Length;
        return response.Body.WriteAsync(json).AsTask();
    }
}
