namespace Sluice.Core.Connectors;

/// <summary>
/// One route an <see cref="IHttpIngress"/> contributes: every request whose path matches <see cref="Pattern"/>, whatever
/// its method, goes to <see cref="HandleAsync"/>, which answers CORS preflights and wrong methods itself (so an API can
/// answer them exactly as the service it imitates does).
/// </summary>
/// <param name="Pattern">
/// A route template: literal segments and <c>{name}</c> parameters, e.g. <c>/v1/{call}</c>. A literal segment outranks a
/// parameter, so <c>/v1/events</c> wins over <c>/v1/{call}</c> whatever the order.
/// </param>
/// <param name="HandleAsync">Answers one request; an exception it lets escape becomes a 500 the host logs.</param>
public sealed record HttpRoute(string Pattern, Func<HttpIngressRequest, Task<HttpIngressResponse>> HandleAsync);
