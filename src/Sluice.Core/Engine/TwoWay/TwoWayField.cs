namespace Sluice.Core.Engine.TwoWay;

/// <summary>One field a two-way pair carries both ways, as one sync of the pair sees it.</summary>
/// <param name="Name">The pair's name for it: the field's name on the Salesforce side.</param>
/// <param name="SourceColumn">The source column the sync reads it from.</param>
/// <param name="DestinationField">The destination field the sync writes it to.</param>
public sealed record TwoWayField(string Name, string SourceColumn, string DestinationField);
