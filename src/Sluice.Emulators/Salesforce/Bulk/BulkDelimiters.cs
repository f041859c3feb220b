namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>Bulk 2.0's <c>columnDelimiter</c> and <c>lineEnding</c> values.</summary>
internal static class BulkDelimiters
{
    public static bool TryParseColumnDelimiter(string? name, out char delimiter)
    {
        delimiter = (name ?? "COMMA").ToUpperInvariant() switch
        {
            "COMMA" => ',',
            "BACKQUOTE" => '`',
            "CARET" => '^',
            "PIPE" => '|',
            "SEMICOLON" => ';',
            "TAB" => '\t',
            _ => '\0',
        };
        return delimiter != '\0';
    }

    public static bool TryParseLineEnding(string? name, out bool crlf)
    {
        var upper = (name ?? "LF").ToUpperInvariant();
        crlf = upper == "CRLF";
        return upper is "LF" or "CRLF";
    }
}
