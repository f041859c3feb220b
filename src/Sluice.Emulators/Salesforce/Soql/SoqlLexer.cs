using System.Text;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// Splits SOQL into tokens. Strings are single-quoted with backslash escapes (<c>\' \" \\ \n \r \t \b \f</c>, and
/// <c>\_ \%</c> kept escaped for LIKE); a number may be signed and decimal; <c>2024-01-31</c> is a date and
/// <c>2024-01-31T10:00:00Z</c> (or with <c>.000</c>, <c>+01:00</c>) a datetime, as SOQL writes them unquoted.
/// </summary>
internal sealed class SoqlLexer
{
    private readonly string _text;
    private int _at;

    private SoqlLexer(string text) => _text = text;

    public static List<SoqlToken> Tokenize(string soql)
    {
        var lexer = new SoqlLexer(soql);
        var tokens = new List<SoqlToken>();
        SoqlToken token;
        do
        {
            token = lexer.Next();
            tokens.Add(token);
        }
        while (token.Kind != SoqlTokenKind.End);
        return tokens;
    }

    private SoqlToken Next()
    {
        while (_at < _text.Length && char.IsWhiteSpace(_text[_at]))
        {
            _at++;
        }

        if (_at >= _text.Length)
        {
            return new SoqlToken(SoqlTokenKind.End, "", _text.Length);
        }

        var start = _at;
        var c = _text[_at];
        switch (c)
        {
            case ',': _at++; return new SoqlToken(SoqlTokenKind.Comma, ",", start);
            case '.': _at++; return new SoqlToken(SoqlTokenKind.Dot, ".", start);
            case ':': _at++; return new SoqlToken(SoqlTokenKind.Colon, ":", start);
            case '(': _at++; return new SoqlToken(SoqlTokenKind.OpenParen, "(", start);
            case ')': _at++; return new SoqlToken(SoqlTokenKind.CloseParen, ")", start);
            case '=': _at++; return new SoqlToken(SoqlTokenKind.Equal, "=", start);
            case '!' when Peek(1) == '=': _at += 2; return new SoqlToken(SoqlTokenKind.NotEqual, "!=", start);
            case '<' when Peek(1) == '>': _at += 2; return new SoqlToken(SoqlTokenKind.NotEqual, "<>", start);
            case '<' when Peek(1) == '=': _at += 2; return new SoqlToken(SoqlTokenKind.LessOrEqual, "<=", start);
            case '<': _at++; return new SoqlToken(SoqlTokenKind.Less, "<", start);
            case '>' when Peek(1) == '=': _at += 2; return new SoqlToken(SoqlTokenKind.GreaterOrEqual, ">=", start);
            case '>': _at++; return new SoqlToken(SoqlTokenKind.Greater, ">", start);
            case '\'': return ReadString();
        }

        if (char.IsAsciiDigit(c) || ((c == '-' || c == '+') && char.IsAsciiDigit(Peek(1))) || (c == '.' && char.IsAsciiDigit(Peek(1))))
        {
            return ReadNumberOrDate();
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (_at < _text.Length && (char.IsAsciiLetterOrDigit(_text[_at]) || _text[_at] == '_'))
            {
                _at++;
            }

            return new SoqlToken(SoqlTokenKind.Identifier, _text[start.._at], start);
        }

        throw SoqlException.At("MALFORMED_QUERY", _text, start, $"unexpected token: '{c}'");
    }

    private char Peek(int ahead) => _at + ahead < _text.Length ? _text[_at + ahead] : '\0';

    private SoqlToken ReadString()
    {
        var start = _at;
        _at++;
        var value = new StringBuilder();
        while (true)
        {
            if (_at >= _text.Length)
            {
                throw SoqlException.At("MALFORMED_QUERY", _text, start, "line 1:" + start + " mismatched character '<EOF>' expecting '''");
            }

            var c = _text[_at++];
            if (c == '\'')
            {
                return new SoqlToken(SoqlTokenKind.String, value.ToString(), start);
            }

            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            if (_at >= _text.Length)
            {
                continue;
            }

            var escaped = _text[_at++];
            switch (escaped)
            {
                case 'n': value.Append('\n'); break;
                case 'r': value.Append('\r'); break;
                case 't': value.Append('\t'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case '\'' or '"' or '\\': value.Append(escaped); break;
                // Kept escaped: only LIKE gives \_ and \% a meaning (a literal _ or %).
                case '_' or '%': value.Append('\\').Append(escaped); break;
                default:
                    throw SoqlException.At("MALFORMED_QUERY", _text, _at - 2, $"Invalid string literal '\\{escaped}'. Illegal character sequence '\\{escaped}' in string literal.");
            }
        }
    }

    private SoqlToken ReadNumberOrDate()
    {
        var start = _at;
        if (IsDateAhead(start))
        {
            _at += 10;
            if (Peek(0) != 'T')
            {
                return new SoqlToken(SoqlTokenKind.Date, _text[start.._at], start);
            }

            while (_at < _text.Length && (char.IsAsciiLetterOrDigit(_text[_at]) || _text[_at] is ':' or '.' or '+' or '-'))
            {
                _at++;
            }

            return new SoqlToken(SoqlTokenKind.DateTime, _text[start.._at], start);
        }

        if (_text[_at] is '-' or '+')
        {
            _at++;
        }

        while (_at < _text.Length && (char.IsAsciiDigit(_text[_at]) || _text[_at] == '.'))
        {
            _at++;
        }

        // 1e6 is a valid double literal in SOQL.
        if (_at < _text.Length && _text[_at] is 'e' or 'E')
        {
            var exponent = _at + 1;
            if (exponent < _text.Length && _text[exponent] is '+' or '-')
            {
                exponent++;
            }

            if (exponent < _text.Length && char.IsAsciiDigit(_text[exponent]))
            {
                _at = exponent;
                while (_at < _text.Length && char.IsAsciiDigit(_text[_at]))
                {
                    _at++;
                }
            }
        }

        return new SoqlToken(SoqlTokenKind.Number, _text[start.._at], start);
    }

    private bool IsDateAhead(int at) =>
        at + 10 <= _text.Length
        && char.IsAsciiDigit(_text[at]) && char.IsAsciiDigit(_text[at + 1]) && char.IsAsciiDigit(_text[at + 2]) && char.IsAsciiDigit(_text[at + 3])
        && _text[at + 4] == '-' && char.IsAsciiDigit(_text[at + 5]) && char.IsAsciiDigit(_text[at + 6])
        && _text[at + 7] == '-' && char.IsAsciiDigit(_text[at + 8]) && char.IsAsciiDigit(_text[at + 9]);
}
