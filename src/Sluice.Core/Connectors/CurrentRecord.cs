namespace Sluice.Core.Connectors;

/// <summary>What a destination holds now for one record (<see cref="ICurrentRecords"/>).</summary>
/// <param name="Values">The asked fields' values by field name, as the destination's driver reads them.</param>
/// <param name="Modified">When the record was last modified there; <c>null</c> when unknown.</param>
public sealed record CurrentRecord(IReadOnlyDictionary<string, object?> Values, DateTimeOffset? Modified);
