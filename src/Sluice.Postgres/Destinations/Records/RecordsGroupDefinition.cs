namespace Sluice.Postgres.Destinations.Records;

/// <summary>A named group (<c>groups.define.high_value: "lifetime_value > 1000"</c>): a record is a member when the condition is true.</summary>
internal sealed record RecordsGroupDefinition(string Name, GroupCondition Condition);
