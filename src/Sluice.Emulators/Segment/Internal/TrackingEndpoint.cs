using System.Globalization;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// <c>/v1/*</c>: Segment's HTTP Tracking API. Order per request: CORS, faults, body limits, JSON,
/// write key, record, <c>{"success":true}</c>. Nothing is recorded unless the answer is 200.
/// </summary>
internal sealed class TrackingEndpoint(EmulatorState state)
{
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var origin = request.Headers.Origin.ToString();
        response.Headers.AccessControlAllowOrigin = origin.Length > 0 ? origin : "*";
        response.Headers.Vary = "Origin";

        if (!TrackingRoute.TryResolve(request.Path.Value, out var route))
        {
            await SegmentResponses.WriteErrorAsync(response, StatusCodes.Status404NotFound, $"No Segment endpoint at {request.Path}; GET / lists the endpoints");
            return;
        }

        if (HttpMethods.IsOptions(request.Method))
        {
            response.StatusCode = StatusCodes.Status204NoContent;
            response.Headers.AccessControlAllowMethods = "POST, OPTIONS";
            response.Headers.AccessControlAllowHeaders = SegmentAnswers.CorsAllowedHeaders;
            response.Headers.AccessControlMaxAge = "86400";
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST, OPTIONS";
            await SegmentResponses.WriteErrorAsync(response, StatusCodes.Status405MethodNotAllowed, "The tracking API only accepts POST");
            return;
        }

        if (route.Kind == TrackingRouteKind.Metrics)
        {
            await SegmentResponses.WriteSuccessAsync(response);
            return;
        }

        var store = state.Store;
        store.CountRequest();
        try
        {
            if (!await InjectFaultAsync(context, store))
            {
                return;
            }

            await IngestAsync(context, route, store);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || state.Stopping.IsCancellationRequested)
        {
            // The client went away, or the emulator is stopping mid-request (an injected delay): abort rather
            // than let the server send an empty 200 for events that were never recorded.
            context.Abort();
        }
        catch (ConnectionResetException)
        {
            // The client hung up mid-body: there is nobody to answer, and nothing was recorded.
        }
        catch (BadHttpRequestException ex) when (!response.HasStarted)
        {
            // Kestrel's own limits (malformed framing, bodies over its 30 MB cap).
            store.CountRejected();
            await SegmentResponses.WriteErrorAsync(response, ex.StatusCode, ex.Message);
        }
    }

    /// <summary>Applies the drawn fault; false when the request was failed on purpose.</summary>
    private async Task<bool> InjectFaultAsync(HttpContext context, MessageStore store)
    {
        var fault = state.Faults.Next();
        if (fault.Delay > TimeSpan.Zero)
        {
            store.CountSlowResponse();
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, state.Stopping);
            await Task.Delay(fault.Delay, state.Time, cancel.Token);
        }

        switch (fault.Kind)
        {
            case FaultKind.DropConnection:
                store.CountConnectionAborted();
                context.Abort();
                return false;
            case FaultKind.RateLimit:
                // "the response header contains Retry-After and X-RateLimit-Reset headers, which contains the
                // number of seconds after which you can retry the request" (http-api "Rate limits").
                store.CountRateLimited();
                var seconds = state.Faults.Options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers.RetryAfter = seconds;
                context.Response.Headers["X-RateLimit-Reset"] = seconds;
                await SegmentResponses.WriteErrorAsync(context.Response, StatusCodes.Status429TooManyRequests, "Too many requests (injected by the emulator)");
                return false;
            case FaultKind.ServerError:
                store.CountServerError();
                await SegmentResponses.WriteErrorAsync(context.Response, fault.StatusCode, "Server error (injected by the emulator)");
                return false;
            default:
                return true;
        }
    }

    private async Task IngestAsync(HttpContext context, TrackingRoute route, MessageStore store)
    {
        var request = context.Request;
        var response = context.Response;
        var body = await RequestBodyReader.ReadAsync(request.Body, request.Headers.ContentEncoding.ToString(), request.ContentLength, route.MaxBodyBytes, context.RequestAborted);
        string? error;
        if (body.Status != RequestBodyStatus.Ok)
        {
            error = SegmentAnswers.ForRefusedBody(body, route.Kind);
        }
        else if (PayloadParser.TryParse(body.Bytes, route, out var payload, out error))
        {
            var writeKey = WriteKeyReader.FromAuthorization(request.Headers.Authorization.ToString()) ?? payload.WriteKey;
            if (state.Accepts(writeKey))
            {
                store.Commit(payload, state.NowTicks());
                await SegmentResponses.WriteSuccessAsync(response);
                return;
            }

            error = SegmentAnswers.InvalidWriteKey;
        }

        store.CountRejected();
        await SegmentResponses.WriteErrorAsync(response, StatusCodes.Status400BadRequest, error ?? "Bad Request");
    }
}
