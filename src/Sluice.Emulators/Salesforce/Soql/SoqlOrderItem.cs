namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// One ORDER BY key. Salesforce puts nulls first when ascending and last when descending unless
/// <c>NULLS FIRST|LAST</c> says otherwise.
/// </summary>
internal sealed record SoqlOrderItem(SoqlFieldPath Field, bool Descending, bool NullsFirst);
