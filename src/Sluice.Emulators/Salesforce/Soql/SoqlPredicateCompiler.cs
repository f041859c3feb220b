using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// Turns a WHERE tree into a delegate over records, checking each field and each value's type on the way as
/// Salesforce does (<c>INVALID_FIELD</c>: <c>value of filter criterion for field 'X' must be of type …</c>).
/// Nulls follow SOQL: <c>= null</c> and <c>!= null</c> test for null, <c>!=</c> and <c>NOT IN</c> match records whose
/// field is null, ranges never do.
/// </summary>
internal sealed class SoqlPredicateCompiler
{
    private readonly ISoqlTable _table;
    private readonly ISoqlOrg _org;
    private readonly string _soql;

    public SoqlPredicateCompiler(ISoqlTable table, ISoqlOrg org, string soql)
    {
        _table = table;
        _org = org;
        _soql = soql;
    }

    public Func<ISoqlRow, bool> Compile(SoqlCondition condition)
    {
        switch (condition)
        {
            case SoqlCondition.And and:
                {
                    var parts = and.Operands.Select(Compile).ToArray();
                    return row => parts.All(p => p(row));
                }

            case SoqlCondition.Or or:
                {
                    var parts = or.Operands.Select(Compile).ToArray();
                    return row => parts.Any(p => p(row));
                }

            case SoqlCondition.Not not:
                {
                    var inner = Compile(not.Operand);
                    return row => !inner(row);
                }

            case SoqlCondition.In @in:
                return CompileIn(@in);
            case SoqlCondition.Comparison comparison:
                return CompileComparison(comparison);
            default:
                throw new InvalidOperationException($"Unknown condition {condition}.");
        }
    }

    private Func<ISoqlRow, bool> CompileIn(SoqlCondition.In @in)
    {
        var path = SoqlBoundPath.Bind(@in.Field, _table, _org, _soql);
        foreach (var literal in @in.Values)
        {
            CheckType(path, literal, SoqlOperator.Equal);
        }

        var values = @in.Values.Select(v => Value(v)).ToArray();
        var kind = path.Leaf.Kind;
        var org = _org;
        var negated = @in.Negated;

        // Text and 18-character ids: a set lookup, so a batched lookup of 200 keys stays linear over the records.
        if ((kind == SoqlValueKind.Text || kind == SoqlValueKind.Id) && values.All(v => v is string s && (kind == SoqlValueKind.Text || s.Length != 15)))
        {
            var set = new HashSet<string>(values.Cast<string>(), StringComparer.OrdinalIgnoreCase);
            return row =>
            {
                var value = path.Read(row, org);
                var found = value is string text && set.Contains(text);
                return negated ? !found : found;
            };
        }

        return row =>
        {
            var value = path.Read(row, org);
            var found = values.Any(v => SoqlValues.AreEqual(value, v, kind));
            return negated ? !found : found;
        };
    }

    private Func<ISoqlRow, bool> CompileComparison(SoqlCondition.Comparison comparison)
    {
        var path = SoqlBoundPath.Bind(comparison.Field, _table, _org, _soql);
        CheckType(path, comparison.Value, comparison.Operator);
        var org = _org;
        var kind = path.Leaf.Kind;
        var literal = comparison.Value;

        if (comparison.Operator == SoqlOperator.Like)
        {
            var regex = LikeRegex((string)literal.Value!);
            return row => path.Read(row, org) is { } value && regex.IsMatch(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!);
        }

        if (literal.Kind == SoqlLiteralKind.Null)
        {
            return comparison.Operator switch
            {
                SoqlOperator.Equal => row => path.Read(row, org) is null,
                SoqlOperator.NotEqual => row => path.Read(row, org) is not null,
                _ => _ => false,
            };
        }

        if (literal.Value is SoqlDateLiteral range)
        {
            var (start, end) = range.Resolve(org.Now);
            return comparison.Operator switch
            {
                SoqlOperator.Equal => row => path.Read(row, org) is { } v && SoqlValues.ToInstant(v) >= start && SoqlValues.ToInstant(v) < end,
                SoqlOperator.NotEqual => row => path.Read(row, org) is not { } v || SoqlValues.ToInstant(v) < start || SoqlValues.ToInstant(v) >= end,
                SoqlOperator.Less => row => path.Read(row, org) is { } v && SoqlValues.ToInstant(v) < start,
                SoqlOperator.LessOrEqual => row => path.Read(row, org) is { } v && SoqlValues.ToInstant(v) < end,
                SoqlOperator.Greater => row => path.Read(row, org) is { } v && SoqlValues.ToInstant(v) >= end,
                _ => row => path.Read(row, org) is { } v && SoqlValues.ToInstant(v) >= start,
            };
        }

        var wanted = Value(literal)!;
        return comparison.Operator switch
        {
            SoqlOperator.Equal => row => SoqlValues.AreEqual(path.Read(row, org), wanted, kind),
            SoqlOperator.NotEqual => row => !SoqlValues.AreEqual(path.Read(row, org), wanted, kind),
            SoqlOperator.Less => row => path.Read(row, org) is { } v && SoqlValues.Compare(v, wanted) < 0,
            SoqlOperator.LessOrEqual => row => path.Read(row, org) is { } v && SoqlValues.Compare(v, wanted) <= 0,
            SoqlOperator.Greater => row => path.Read(row, org) is { } v && SoqlValues.Compare(v, wanted) > 0,
            _ => row => path.Read(row, org) is { } v && SoqlValues.Compare(v, wanted) >= 0,
        };
    }

    private static object? Value(SoqlLiteral literal) => literal.Value;

    private void CheckType(SoqlBoundPath path, SoqlLiteral literal, SoqlOperator op)
    {
        var kind = path.Leaf.Kind;
        if (op == SoqlOperator.Like)
        {
            if (kind is not (SoqlValueKind.Text or SoqlValueKind.Id))
            {
                throw SoqlException.At("INVALID_FIELD", _soql, path.Position,
                    $"invalid operator on field '{path.Name}': LIKE applies to text fields only");
            }

            return;
        }

        if (literal.Kind == SoqlLiteralKind.Null)
        {
            return;
        }

        var (fits, typeName) = kind switch
        {
            SoqlValueKind.Text or SoqlValueKind.Id => (literal.Kind == SoqlLiteralKind.String, "string"),
            SoqlValueKind.Number => (literal.Kind == SoqlLiteralKind.Number, "double"),
            SoqlValueKind.Boolean => (literal.Kind == SoqlLiteralKind.Boolean, "boolean"),
            SoqlValueKind.Date => (literal.Kind is SoqlLiteralKind.Date or SoqlLiteralKind.DateRange, "date"),
            SoqlValueKind.DateTime => (literal.Kind is SoqlLiteralKind.DateTime or SoqlLiteralKind.DateRange, "dateTime"),
            _ => (true, ""),
        };
        if (!fits)
        {
            var quotes = literal.Kind == SoqlLiteralKind.String ? " and should not be enclosed in quotes" : "";
            throw SoqlException.At("INVALID_FIELD", _soql, literal.Position,
                $"value of filter criterion for field '{path.Name}' must be of type {typeName}{quotes}");
        }
    }

    /// <summary>LIKE: <c>%</c> any run, <c>_</c> one character, <c>\%</c> and <c>\_</c> themselves; case ignored.</summary>
    public static Regex LikeRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length && pattern[i + 1] is '%' or '_')
            {
                regex.Append(Regex.Escape(pattern[++i].ToString()));
            }
            else if (c == '%')
            {
                regex.Append(".*");
            }
            else if (c == '_')
            {
                regex.Append('.');
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }
}
