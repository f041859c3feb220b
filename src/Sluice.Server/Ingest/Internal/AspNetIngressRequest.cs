using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Core.Connectors;

namespace Sluice.Server.Ingest.Internal;

/// <summary>An ASP.NET Core request seen as the framework-neutral <see cref="HttpIngressRequest"/> connectors' routes take.</summary>
internal sealed class AspNetIngressRequest(HttpContext context) : HttpIngressRequest
{
    private Stream? _body;

    public override string Method => context.Request.Method;

    public override string Path => context.Request.Path.Value ?? "";

    public override long? ContentLength => context.Request.ContentLength;

    public override Stream Body => _body ??= new LimitedBodyStream(context.Request.Body);

    public override CancellationToken Aborted => context.RequestAborted;

    public override string Header(string name) => context.Request.Headers[name].ToString();

    public override void LimitBody(long bytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = bytes;
        }
    }

    /// <summary>Writes a route's answer as is.</summary>
    public static Task WriteAsync(HttpResponse response, HttpIngressResponse answer)
    {
        response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers[name] = value;
        }

        if (answer.ContentType is not { } contentType)
        {
            return Task.CompletedTask;
        }

        response.ContentType = contentType;
        response.ContentLength = answer.Body.Length;
        return response.Body.WriteAsync(answer.Body).AsTask();
    }
}
