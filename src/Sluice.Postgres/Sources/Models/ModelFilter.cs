using Sluice.Core.Configuration;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// Checks a <c>where:</c> (or <c>filter:</c>) written by the config's owner before it is placed inside a compiled model
/// statement; PostgreSQL then parses it with the rest when the statement is described (<c>sluice check</c>, every run).
/// </summary>
/// <remarks>
/// What is refused, and why: a <c>;</c> outside quotes (Npgsql splits command text on it and would run what follows as
/// a statement of its own); a comment, <c>--</c> or <c>/*</c> (it would swallow the rest of the line the filter sits on,
/// such as the <c>= ANY($1)</c> that limits a statement to its batch of keys); a <c>$</c> outside quotes (a parameter
/// such as <c>$1</c> would read the batch's keys; a dollar-quoted string cannot be scanned safely); and parentheses
/// that close more than they open (the filter would end the clause it is wrapped in and go on in the statement's own);
/// an escape string <c>E'…'</c> (its <c>\'</c> would hide where the string ends from this scan).
/// Subqueries are not refused: the filter runs with the connection's role, so its grants, not a text scan, bound what it
/// may read (a scan could not see through a view or a function anyway).
/// </remarks>
internal static class ModelFilter
{
    public static void Check(string filter, ConfigLocation? location)
    {
        const string Fix = "write one condition over the table's columns, as in a WHERE clause, e.g. \"status = 'paid'\"";
        if (string.IsNullOrWhiteSpace(filter))
        {
            throw new ConfigException(location, "the condition is empty", Fix);
        }

        var depth = 0;
        for (var i = 0; i < filter.Length; i++)
        {
            var c = filter[i];
            if (c == '\'' && i > 0 && filter[i - 1] is 'E' or 'e')
            {
                // In E'…' a backslash escapes a quote, which a scan for doubled quotes would misread as the string's end.
                throw new ConfigException(location, "the condition contains an escape string (E'…'), which is not accepted here", Fix + "; write a quote inside a string as ''");
            }

            if (c is '\'' or '"')
            {
                // A quoted string or identifier; a doubled quote inside it is the quote itself.
                var end = i + 1;
                while (true)
                {
                    end = filter.IndexOf(c, end);
                    if (end < 0)
                    {
                        throw new ConfigException(location, $"the condition opens a {(c == '\'' ? "string" : "quoted name")} it never closes", Fix);
                    }

                    if (end + 1 < filter.Length && filter[end + 1] == c)
                    {
                        end += 2;
                        continue;
                    }

                    break;
                }

                i = end;
                continue;
            }

            var problem = c switch
            {
                ';' => "';' (one condition, not statements)",
                '$' => "'$' (parameters and dollar quoting are the statement's own)",
                '-' when i + 1 < filter.Length && filter[i + 1] == '-' => "a comment ('--')",
                '/' when i + 1 < filter.Length && filter[i + 1] == '*' => "a comment ('/*')",
                '(' => null,
                ')' when depth == 0 => "a ')' without its '('",
                _ => null,
            };
            if (problem is not null)
            {
                throw new ConfigException(location, $"the condition contains {problem}, outside quotes", Fix);
            }

            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        }

        if (depth != 0)
        {
            throw new ConfigException(location, "the condition opens a '(' it never closes", Fix);
        }
    }
}
