namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>Comparison operators of a SOQL condition.</summary>
internal enum SoqlOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Like,
}
