namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>A WHERE condition: a tree of AND/OR/NOT over comparisons, IN lists and LIKE.</summary>
internal abstract record SoqlCondition
{
    /// <summary><c>a AND b AND …</c>.</summary>
    public sealed record And(IReadOnlyList<SoqlCondition> Operands) : SoqlCondition;

    /// <summary><c>a OR b OR …</c>.</summary>
    public sealed record Or(IReadOnlyList<SoqlCondition> Operands) : SoqlCondition;

    /// <summary><c>NOT a</c>.</summary>
    public sealed record Not(SoqlCondition Operand) : SoqlCondition;

    /// <summary><c>field op value</c>, including <c>= null</c> and <c>LIKE 'a%'</c>.</summary>
    public sealed record Comparison(SoqlFieldPath Field, SoqlOperator Operator, SoqlLiteral Value) : SoqlCondition;

    /// <summary><c>field IN (…)</c> or <c>field NOT IN (…)</c>.</summary>
    public sealed record In(SoqlFieldPath Field, bool Negated, IReadOnlyList<SoqlLiteral> Values) : SoqlCondition;
}
