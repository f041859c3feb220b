using Microsoft.Extensions.Logging;

namespace Sluice.Core.Connectors;

/// <summary>What the host gives the routes an <see cref="IHttpIngress"/> contributes.</summary>
/// <param name="Time">The host's clock (stamps such as <c>receivedAt</c> come from it; tests pass a fake one).</param>
/// <param name="Log">
/// Where the routes report what the operator must know (an event the queue could not store), never with secrets or
/// payloads; the sender only gets a status code.
/// </param>
public sealed record HttpIngressContext(TimeProvider Time, ILogger Log);
