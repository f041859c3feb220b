using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>Segment's response bodies: <c>{"success":true}</c> and <c>{"success":false,"message":…}</c> (reference §1.6).</summary>
internal static class SegmentResponses
{
    public const string InvalidWriteKey = "An invalid write key was provided";

    private static readonly byte[] Success = """{"success":true}"""u8.ToArray();

    public static Task WriteSuccessAsync(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = Success.Length;
        return response.Body.WriteAsync(Success).AsTask();
    }

    public static Task WriteErrorAsync(HttpResponse response, int statusCode, string message)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(false, message), EmulatorJson.Compact);
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    private sealed record ErrorBody(bool Success, string Message);
}
