using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// A group's condition (<c>"lifetime_value > 1000 AND plan IN ('pro', 'team')"</c>), parsed once at load and evaluated
/// in C# over a record's mapped properties — never interpolated into SQL. The language is small on purpose:
/// comparisons (<c>= != &lt;&gt; &lt; &lt;= &gt; &gt;=</c>), <c>AND</c>, <c>OR</c>, <c>NOT</c>, parentheses,
/// <c>IS [NOT] NULL</c>, <c>[NOT] IN (…)</c>, over property names and literals (numbers, <c>'text'</c>, <c>true</c>,
/// <c>false</c>, <c>null</c>). As in SQL, a comparison with NULL is unknown, and an unknown condition is not a membership.
/// </summary>
internal abstract class GroupCondition
{
    /// <summary>True, false, or null for SQL's unknown.</summary>
    public abstract bool? Evaluate(Func<string, object?> property);

    /// <summary>Whether a record with these properties is a member: the condition is true (not false, not unknown).</summary>
    public bool Holds(Func<string, object?> property) => Evaluate(property) == true;

    /// <param name="properties">The names a condition may use (the mapping's targets).</param>
    public static GroupCondition Parse(string text, ConfigLocation location, IReadOnlyCollection<string> properties) =>
        new GroupConditionParser(text, location, properties).ParseAll();

    internal sealed class Or(GroupCondition left, GroupCondition right) : GroupCondition
    {
        public override bool? Evaluate(Func<string, object?> property) => (left.Evaluate(property), right.Evaluate(property)) switch
        {
            (true, _) or (_, true) => true,
            (false, false) => false,
            _ => null,
        };
    }

    internal sealed class And(GroupCondition left, GroupCondition right) : GroupCondition
    {
        public override bool? Evaluate(Func<string, object?> property) => (left.Evaluate(property), right.Evaluate(property)) switch
        {
            (false, _) or (_, false) => false,
            (true, true) => true,
            _ => null,
        };
    }

    internal sealed class Not(GroupCondition inner) : GroupCondition
    {
        public override bool? Evaluate(Func<string, object?> property) => !inner.Evaluate(property);
    }

    internal sealed class IsNull(GroupOperand operand, bool negated) : GroupCondition
    {
        public override bool? Evaluate(Func<string, object?> property) => (operand.Value(property) is null) != negated;
    }

    internal sealed class In(GroupOperand operand, IReadOnlyList<GroupOperand> list, bool negated) : GroupCondition
    {
        public override bool? Evaluate(Func<string, object?> property)
        {
            var value = operand.Value(property);
            if (value is null)
            {
                return null;
            }

            var sawNull = false;
            foreach (var item in list)
            {
                var other = item.Value(property);
                if (other is null)
                {
                    sawNull = true;
                }
                else if (GroupValues.Compare(value, other) == 0)
                {
                    return !negated;
                }
            }

            return sawNull ? null : negated;
        }
    }

    internal sealed class Comparison(GroupOperand left, string op, GroupOperand right) : GroupCondition
    {
        public override bool? Evaluate(Func<string, object?> property)
        {
            var (a, b) = (left.Value(property), right.Value(property));
            if (a is null || b is null || GroupValues.Compare(a, b) is not { } order)
            {
                return null;
            }

            return op switch
            {
                "=" => order == 0,
                "!=" or "<>" => order != 0,
                "<" => order < 0,
                "<=" => order <= 0,
                ">" => order > 0,
                ">=" => order >= 0,
                _ => throw new InvalidOperationException($"unknown operator {op}"),
            };
        }
    }
}
