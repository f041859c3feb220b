using System.Globalization;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// Recursive-descent parser for the SOQL subset the emulator answers:
/// <code>
/// query     := SELECT item (',' item)* FROM name [WHERE or] [ORDER BY key (',' key)*] [LIMIT n] [OFFSET n]
/// item      := COUNT '(' [path] ')' [alias] | path
/// or        := and (OR and)*          -- SOQL refuses AND and OR mixed without parentheses
/// and       := not (AND not)*
/// not       := NOT not | '(' or ')' | path op value | path [NOT] IN '(' value (',' value)* ')' | path LIKE string
/// key       := path [ASC|DESC] [NULLS FIRST|LAST]
/// </code>
/// A syntax error is a <see cref="SoqlException"/> with <c>MALFORMED_QUERY</c> and the position of the token.
/// </summary>
internal sealed class SoqlParser
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING", "IN", "INCLUDES", "LAST", "LIKE", "LIMIT",
        "NOT", "NULL", "NULLS", "OFFSET", "OR", "ORDER", "SELECT", "WHERE", "WITH", "FOR", "USING", "TRUE", "FALSE", "BY",
    };

    private readonly string _text;
    private readonly List<SoqlToken> _tokens;
    private int _at;

    private SoqlParser(string text)
    {
        _text = text;
        _tokens = SoqlLexer.Tokenize(text);
    }

    public static SoqlQuery Parse(string soql)
    {
        var parser = new SoqlParser(soql);
        return parser.ParseQuery() with { Text = soql };
    }

    private SoqlToken Current => _tokens[_at];

    private SoqlQuery ParseQuery()
    {
        ExpectKeyword("SELECT");
        var select = new List<SoqlSelectItem> { ParseSelectItem() };
        while (Current.Kind == SoqlTokenKind.Comma)
        {
            _at++;
            select.Add(ParseSelectItem());
        }

        ExpectKeyword("FROM");
        var from = ExpectName();

        SoqlCondition? where = null;
        if (AcceptKeyword("WHERE"))
        {
            where = ParseOr();
        }

        var orderBy = new List<SoqlOrderItem>();
        if (AcceptKeyword("ORDER"))
        {
            ExpectKeyword("BY");
            orderBy.Add(ParseOrderItem());
            while (Current.Kind == SoqlTokenKind.Comma)
            {
                _at++;
                orderBy.Add(ParseOrderItem());
            }
        }

        int? limit = AcceptKeyword("LIMIT") ? ExpectCount() : null;
        int? offset = AcceptKeyword("OFFSET") ? ExpectCount() : null;
        if (Current.Kind != SoqlTokenKind.End)
        {
            throw Unexpected();
        }

        return new SoqlQuery(select, from.Text, from.Position, where, orderBy, limit, offset);
    }

    private SoqlSelectItem ParseSelectItem()
    {
        if (Current.IsKeyword("COUNT") && _tokens[_at + 1].Kind == SoqlTokenKind.OpenParen)
        {
            _at += 2;
            SoqlFieldPath? path = null;
            if (Current.Kind != SoqlTokenKind.CloseParen)
            {
                path = ParsePath();
            }

            Expect(SoqlTokenKind.CloseParen);
            string? alias = null;
            if (Current.Kind == SoqlTokenKind.Identifier && !Reserved.Contains(Current.Text))
            {
                alias = Current.Text;
                _at++;
            }

            return new SoqlSelectItem.Count(path, alias);
        }

        return new SoqlSelectItem.Field(ParsePath());
    }

    private SoqlOrderItem ParseOrderItem()
    {
        var path = ParsePath();
        var descending = false;
        if (AcceptKeyword("DESC"))
        {
            descending = true;
        }
        else
        {
            AcceptKeyword("ASC");
        }

        var nullsFirst = !descending;
        if (AcceptKeyword("NULLS"))
        {
            if (AcceptKeyword("FIRST"))
            {
                nullsFirst = true;
            }
            else if (AcceptKeyword("LAST"))
            {
                nullsFirst = false;
            }
            else
            {
                throw Unexpected();
            }
        }

        return new SoqlOrderItem(path, descending, nullsFirst);
    }

    private SoqlCondition ParseOr()
    {
        var first = ParseAnd(out var sawAnd);
        if (!Current.IsKeyword("OR"))
        {
            return first;
        }

        if (sawAnd)
        {
            throw Unexpected();
        }

        var operands = new List<SoqlCondition> { first };
        while (AcceptKeyword("OR"))
        {
            operands.Add(ParseNot());
            if (Current.IsKeyword("AND"))
            {
                throw Unexpected();
            }
        }

        return new SoqlCondition.Or(operands);
    }

    private SoqlCondition ParseAnd(out bool sawAnd)
    {
        var first = ParseNot();
        sawAnd = false;
        if (!Current.IsKeyword("AND"))
        {
            return first;
        }

        sawAnd = true;
        var operands = new List<SoqlCondition> { first };
        while (AcceptKeyword("AND"))
        {
            operands.Add(ParseNot());
        }

        return new SoqlCondition.And(operands);
    }

    private SoqlCondition ParseNot()
    {
        if (AcceptKeyword("NOT"))
        {
            return new SoqlCondition.Not(ParseNot());
        }

        if (Current.Kind == SoqlTokenKind.OpenParen)
        {
            _at++;
            var inner = ParseOr();
            Expect(SoqlTokenKind.CloseParen);
            return inner;
        }

        var field = ParsePath();
        if (Current.IsKeyword("NOT") && _tokens[_at + 1].IsKeyword("IN"))
        {
            _at += 2;
            return new SoqlCondition.In(field, true, ParseValueList());
        }

        if (AcceptKeyword("IN"))
        {
            return new SoqlCondition.In(field, false, ParseValueList());
        }

        if (Current.IsKeyword("LIKE"))
        {
            _at++;
            var pattern = ParseValue();
            if (pattern.Kind != SoqlLiteralKind.String)
            {
                throw SoqlException.At("MALFORMED_QUERY", _text, pattern.Position, "invalid operator on LIKE: the pattern must be a quoted string");
            }

            return new SoqlCondition.Comparison(field, SoqlOperator.Like, pattern);
        }

        var op = Current.Kind switch
        {
            SoqlTokenKind.Equal => SoqlOperator.Equal,
            SoqlTokenKind.NotEqual => SoqlOperator.NotEqual,
            SoqlTokenKind.Less => SoqlOperator.Less,
            SoqlTokenKind.LessOrEqual => SoqlOperator.LessOrEqual,
            SoqlTokenKind.Greater => SoqlOperator.Greater,
            SoqlTokenKind.GreaterOrEqual => SoqlOperator.GreaterOrEqual,
            _ => throw Unexpected(),
        };
        _at++;
        return new SoqlCondition.Comparison(field, op, ParseValue());
    }

    private List<SoqlLiteral> ParseValueList()
    {
        Expect(SoqlTokenKind.OpenParen);
        var values = new List<SoqlLiteral> { ParseValue() };
        while (Current.Kind == SoqlTokenKind.Comma)
        {
            _at++;
            values.Add(ParseValue());
        }

        Expect(SoqlTokenKind.CloseParen);
        return values;
    }

    private SoqlLiteral ParseValue()
    {
        var token = Current;
        switch (token.Kind)
        {
            case SoqlTokenKind.String:
                _at++;
                return new SoqlLiteral(SoqlLiteralKind.String, token.Text, token.Position);
            case SoqlTokenKind.Number:
                _at++;
                if (!decimal.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    throw SoqlException.At("MALFORMED_QUERY", _text, token.Position, $"unexpected token: '{token.Text}'");
                }

                return new SoqlLiteral(SoqlLiteralKind.Number, number, token.Position);
            case SoqlTokenKind.Date:
                _at++;
                if (!DateOnly.TryParseExact(token.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    throw SoqlException.At("MALFORMED_QUERY", _text, token.Position, $"line 1:{token.Position} no viable alternative at character '{token.Text}'");
                }

                return new SoqlLiteral(SoqlLiteralKind.Date, date, token.Position);
            case SoqlTokenKind.DateTime:
                _at++;
                return new SoqlLiteral(SoqlLiteralKind.DateTime, ParseDateTime(token), token.Position);
            case SoqlTokenKind.Identifier when token.IsKeyword("NULL"):
                _at++;
                return SoqlLiteral.Null(token.Position);
            case SoqlTokenKind.Identifier when token.IsKeyword("TRUE") || token.IsKeyword("FALSE"):
                _at++;
                return new SoqlLiteral(SoqlLiteralKind.Boolean, token.IsKeyword("TRUE"), token.Position);
            case SoqlTokenKind.Identifier when SoqlDateLiteral.IsFixed(token.Text):
                _at++;
                return new SoqlLiteral(SoqlLiteralKind.DateRange, new SoqlDateLiteral(token.Text.ToUpperInvariant(), null), token.Position);
            case SoqlTokenKind.Identifier when SoqlDateLiteral.TakesN(token.Text):
                _at++;
                Expect(SoqlTokenKind.Colon);
                var n = ExpectCount();
                return new SoqlLiteral(SoqlLiteralKind.DateRange, new SoqlDateLiteral(token.Text.ToUpperInvariant(), n), token.Position);
            default:
                throw Unexpected();
        }
    }

    private DateTimeOffset ParseDateTime(SoqlToken token)
    {
        string[] formats =
        [
            "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:sszzz",
            "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm:sszz00", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzz00",
        ];
        if (DateTimeOffset.TryParseExact(token.Text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }

        throw SoqlException.At("MALFORMED_QUERY", _text, token.Position, $"line 1:{token.Position} no viable alternative at character '{token.Text}'");
    }

    private SoqlFieldPath ParsePath()
    {
        var first = ExpectName();
        var parts = new List<string> { first.Text };
        while (Current.Kind == SoqlTokenKind.Dot)
        {
            _at++;
            parts.Add(ExpectName().Text);
        }

        return new SoqlFieldPath(parts, first.Position);
    }

    private SoqlToken ExpectName()
    {
        var token = Current;
        if (token.Kind != SoqlTokenKind.Identifier || Reserved.Contains(token.Text))
        {
            throw Unexpected();
        }

        _at++;
        return token;
    }

    private int ExpectCount()
    {
        var token = Current;
        if (token.Kind != SoqlTokenKind.Number || !int.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw Unexpected();
        }

        _at++;
        return value;
    }

    private void Expect(SoqlTokenKind kind)
    {
        if (Current.Kind != kind)
        {
            throw Unexpected();
        }

        _at++;
    }

    private void ExpectKeyword(string keyword)
    {
        if (!AcceptKeyword(keyword))
        {
            throw Unexpected();
        }
    }

    private bool AcceptKeyword(string keyword)
    {
        if (!Current.IsKeyword(keyword))
        {
            return false;
        }

        _at++;
        return true;
    }

    private SoqlException Unexpected() =>
        SoqlException.At("MALFORMED_QUERY", _text, Current.Position, $"unexpected token: '{Current.Shown}'");
}
