using System.Globalization;
using System.Text;
using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>Parses a group's condition (<see cref="GroupCondition"/>) by recursive descent; every error names the group's key.</summary>
internal sealed class GroupConditionParser
{
    private const string Fix = "write a condition over the mapped properties with =, !=, <, <=, >, >=, AND, OR, NOT, IS NULL, IN (…), e.g. \"lifetime_value > 1000 AND plan IN ('pro', 'team')\"";

    private readonly string _text;
    private readonly ConfigLocation _location;
    private readonly IReadOnlyCollection<string> _properties;
    private readonly List<(string Kind, string Text, object? Value)> _tokens;
    private int _at;

    public GroupConditionParser(string text, ConfigLocation location, IReadOnlyCollection<string> properties)
    {
        _text = text;
        _location = location;
        _properties = properties;
        _tokens = Tokenize();
    }

    public GroupCondition ParseAll()
    {
        var condition = ParseOr();
        if (_at < _tokens.Count)
        {
            throw Error($"unexpected '{_tokens[_at].Text}'");
        }

        return condition;
    }

    private GroupCondition ParseOr()
    {
        var left = ParseAnd();
        while (Keyword("OR"))
        {
            left = new GroupCondition.Or(left, ParseAnd());
        }

        return left;
    }

    private GroupCondition ParseAnd()
    {
        var left = ParseNot();
        while (Keyword("AND"))
        {
            left = new GroupCondition.And(left, ParseNot());
        }

        return left;
    }

    private GroupCondition ParseNot() => Keyword("NOT") ? new GroupCondition.Not(ParseNot()) : ParsePrimary();

    private GroupCondition ParsePrimary()
    {
        if (Symbol("("))
        {
            var inner = ParseOr();
            Expect(")");
            return inner;
        }

        var left = ParseOperand();
        if (Keyword("IS"))
        {
            var negated = Keyword("NOT");
            if (!Keyword("NULL"))
            {
                throw Error("IS must be followed by NULL or NOT NULL");
            }

            return new GroupCondition.IsNull(left, negated);
        }

        var notIn = Keyword("NOT");
        if (Keyword("IN"))
        {
            Expect("(");
            var list = new List<GroupOperand> { ParseOperand() };
            while (Symbol(","))
            {
                list.Add(ParseOperand());
            }

            Expect(")");
            return new GroupCondition.In(left, list, notIn);
        }

        if (notIn)
        {
            throw Error("NOT here must be followed by IN");
        }

        if (_at < _tokens.Count && _tokens[_at].Kind == "op")
        {
            var op = _tokens[_at++].Text;
            return new GroupCondition.Comparison(left, op, ParseOperand());
        }

        throw Error(_at < _tokens.Count ? $"expected a comparison after '{_tokens[_at - 1].Text}', found '{_tokens[_at].Text}'" : "the condition ends before its comparison");
    }

    private GroupOperand ParseOperand()
    {
        if (_at >= _tokens.Count)
        {
            throw Error("the condition ends where a property or a value was expected");
        }

        var (kind, text, value) = _tokens[_at++];
        switch (kind)
        {
            case "literal":
                return GroupOperand.Literal(value);
            case "name":
                switch (text.ToUpperInvariant())
                {
                    case "TRUE":
                        return GroupOperand.Literal(true);
                    case "FALSE":
                        return GroupOperand.Literal(false);
                    case "NULL":
                        return GroupOperand.Literal(null);
                }

                if (!_properties.Contains(text))
                {
                    var closest = NameSuggestions.Closest(text, _properties);
                    throw new ConfigException(_location, $"the condition {Quoted()} uses '{text}', which is not a mapped property",
                        closest is not null ? $"did you mean '{closest}'? (properties: {string.Join(", ", _properties)})" : $"use one of the mapping's targets: {string.Join(", ", _properties)}");
                }

                return GroupOperand.Property(text);
            default:
                throw Error($"expected a property or a value, found '{text}'");
        }
    }

    private bool Keyword(string word)
    {
        if (_at < _tokens.Count && _tokens[_at].Kind == "name" && string.Equals(_tokens[_at].Text, word, StringComparison.OrdinalIgnoreCase))
        {
            _at++;
            return true;
        }

        return false;
    }

    private bool Symbol(string symbol)
    {
        if (_at < _tokens.Count && _tokens[_at].Kind == "symbol" && _tokens[_at].Text == symbol)
        {
            _at++;
            return true;
        }

        return false;
    }

    private void Expect(string symbol)
    {
        if (!Symbol(symbol))
        {
            throw Error(_at < _tokens.Count ? $"expected '{symbol}', found '{_tokens[_at].Text}'" : $"expected '{symbol}' before the end");
        }
    }

    private List<(string Kind, string Text, object? Value)> Tokenize()
    {
        var tokens = new List<(string, string, object?)>();
        var i = 0;
        while (i < _text.Length)
        {
            var c = _text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')' or ',')
            {
                tokens.Add(("symbol", c.ToString(), null));
                i++;
            }
            else if (c is '=' or '<' or '>' or '!')
            {
                var two = i + 1 < _text.Length ? _text.Substring(i, 2) : null;
                var op = two is "<=" or ">=" or "<>" or "!=" ? two : c.ToString();
                if (op == "!")
                {
                    throw Error("'!' must be followed by '='");
                }

                tokens.Add(("op", op, null));
                i += op.Length;
            }
            else if (c == '\'')
            {
                var text = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= _text.Length)
                    {
                        throw Error("a quoted text is not closed");
                    }

                    if (_text[i] == '\'')
                    {
                        if (i + 1 < _text.Length && _text[i + 1] == '\'')
                        {
                            text.Append('\'');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    text.Append(_text[i++]);
                }

                tokens.Add(("literal", $"'{text}'", text.ToString()));
            }
            else if (char.IsDigit(c) || (c is '-' or '.' && i + 1 < _text.Length && (char.IsDigit(_text[i + 1]) || _text[i + 1] == '.')))
            {
                var start = i++;
                while (i < _text.Length && (char.IsDigit(_text[i]) || _text[i] is '.' or 'e' or 'E' || (_text[i] is '+' or '-' && _text[i - 1] is 'e' or 'E')))
                {
                    i++;
                }

                var number = _text[start..i];
                if (!decimal.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    throw Error($"'{number}' is not a number");
                }

                tokens.Add(("literal", number, value));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i++;
                while (i < _text.Length && (char.IsLetterOrDigit(_text[i]) || _text[i] is '_' or '$'))
                {
                    i++;
                }

                tokens.Add(("name", _text[start..i], null));
            }
            else if (c == '"')
            {
                // A quoted property name, as in SQL: "Lifetime Value".
                var end = _text.IndexOf('"', i + 1);
                if (end < 0)
                {
                    throw Error("a quoted name is not closed");
                }

                tokens.Add(("name", _text[(i + 1)..end], null));
                i = end + 1;
            }
            else
            {
                throw Error($"'{c}' has no meaning in a condition");
            }
        }

        if (tokens.Count == 0)
        {
            throw Error("the condition is empty");
        }

        return tokens;
    }

    private string Quoted() => $"\"{_text}\"";

    private ConfigException Error(string what) => new(_location, $"the condition {Quoted()} cannot be read: {what}", Fix);
}
