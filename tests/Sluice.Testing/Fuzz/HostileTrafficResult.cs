namespace Sluice.Testing.Fuzz;

/// <summary>How an ingest API answered a run of <see cref="HostileRequest"/>s.</summary>
/// <param name="Sent">Requests sent.</param>
/// <param name="Accepted">The calls of every request answered 200.</param>
/// <param name="Refused">Requests answered 4xx with a reason.</param>
/// <param name="BadAnswers">Answers that break the rule: a 5xx, or a 4xx with an empty body.</param>
public sealed record HostileTrafficResult(int Sent, IReadOnlyList<HostileCall> Accepted, int Refused, IReadOnlyList<string> BadAnswers);
