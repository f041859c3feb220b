namespace Sluice.Salesforce.Source;

/// <summary>A version of a record a sync handed on: its id, its stamp (Unix milliseconds) and whether it was a delete.</summary>
internal readonly record struct DeliveredVersion(string Id, long StampMs, bool Deleted);
