using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Internal;

/// <summary>The answer of an emulator's admin API to a request under a host name it does not answer to (DNS rebinding).</summary>
internal static class EmulatorHostCheck
{
    public const string Refusal = "421 Misdirected Request: this emulator's admin API does not answer to the host name in this request; start it with --allowed-host NAME to allow one\n";

    public static Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(Refusal, context.RequestAborted);
    }
}
