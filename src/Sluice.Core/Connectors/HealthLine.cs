namespace Sluice.Core.Connectors;

/// <summary>One measured value of a <see cref="HealthMetric"/>: a series of <c>/metrics</c>, with its labels in order.</summary>
public sealed record HealthLine(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value);
