using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sluice.Segment.Protocol;

namespace Sluice.Server.Internal;

/// <summary>
/// The last line of defence for every route: a request that throws is answered 500 with a JSON body and reported as
/// one line in the <c>sluice run</c> log, with the route and the error. ASP.NET would answer 500 with an empty body and
/// report it only to its own logging, which <c>sluice run</c> does not use, so a bug would go unseen.
/// </summary>
internal static class UnhandledRequestErrors
{
    public const string Answer = "Sluice failed to handle this request; the error is in the sluice run log";

    private const int MaxPathShown = 200;

    public static IApplicationBuilder UseUnhandledRequestErrors(this IApplicationBuilder app, ILogger log) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away: nobody is left to answer, and nothing failed.
            }
            catch (BadHttpRequestException ex)
            {
                // Kestrel's own refusal of a malformed or oversized request: the client's fault, not a bug.
                await AnswerAsync(context, ex.StatusCode, ex.Message);
            }
            catch (Exception ex)
            {
                log.LogError("http: {Method} {Path} failed with 500: {Error}", context.Request.Method, Shown(context.Request.Path), Describe(ex));
                await AnswerAsync(context, StatusCodes.Status500InternalServerError, Answer);
            }
        });

    private static async Task AnswerAsync(HttpContext context, int statusCode, string message)
    {
        if (context.Response.HasStarted)
        {
            // Part of an answer is on the wire already: cutting the connection is the only honest ending.
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(SegmentAnswers.Error(message));
    }

    /// <summary>
    /// The error's type and message and the Sluice method it came through, on one line. No stack trace (the log is one
    /// line per event), no request body or headers: those carry write keys and user data.
    /// </summary>
    private static string Describe(Exception ex)
    {
        var text = new StringBuilder(ex.GetType().Name).Append(": ").Append(OneLine(ex.Message));
        if (ex.InnerException is { } inner)
        {
            text.Append(" (").Append(inner.GetType().Name).Append(": ").Append(OneLine(inner.Message)).Append(')');
        }

        if (SluiceFrame(ex) is { } where)
        {
            text.Append(" at ").Append(where);
        }

        return text.ToString();
    }

    /// <summary>The innermost method of Sluice's own the exception passed through, e.g. <c>PostgresStateStore.StatusAsync</c>.</summary>
    private static string? SluiceFrame(Exception ex)
    {
        foreach (var frame in new StackTrace(ex).GetFrames())
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            if (type?.FullName?.StartsWith("Sluice.", StringComparison.Ordinal) != true || type == typeof(UnhandledRequestErrors))
            {
                continue;
            }

            // An async method runs in a compiler-made state machine, <StatusAsync>d__5, nested in the real type.
            if (type.Name.StartsWith('<') && type.DeclaringType is { } owner)
            {
                return $"{owner.Name}.{type.Name[1..type.Name.IndexOf('>', StringComparison.Ordinal)]}";
            }

            return $"{type.Name}.{method!.Name}";
        }

        return null;
    }

    private static string OneLine(string text) =>
        string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });

    private static string Shown(PathString path)
    {
        var text = OneLine(path.Value ?? "/");
        return text.Length <= MaxPathShown ? text : text[..MaxPathShown] + "…";
    }
}
