using Microsoft.AspNetCore.Http;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>Writes Segment's response bodies (<see cref="SegmentAnswers"/>) to an ASP.NET Core response.</summary>
internal static class SegmentResponses
{
    public static Task WriteSuccessAsync(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = SegmentAnswers.Success.Length;
        return response.Body.WriteAsync(SegmentAnswers.Success).AsTask();
    }

    public static Task WriteErrorAsync(HttpResponse response, int statusCode, string message)
    {
        var body = SegmentAnswers.Error(message);
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }
}
