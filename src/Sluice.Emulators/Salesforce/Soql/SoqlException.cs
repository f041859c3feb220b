namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// A query Salesforce would refuse, with its error code (<c>MALFORMED_QUERY</c>, <c>INVALID_FIELD</c>,
/// <c>INVALID_TYPE</c>, <c>INVALID_QUERY_FILTER_OPERATOR</c>, <c>INVALID_QUERY_LOCATOR</c>) and the message shaped as
/// Salesforce shapes it: the query line, a caret under the offending token, <c>ERROR at Row:r:Column:c</c>, the reason.
/// </summary>
internal sealed class SoqlException : Exception
{
    public SoqlException(string errorCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    public string ErrorCode { get; }

    /// <summary>An error at <paramref name="position"/> (0-based) of <paramref name="soql"/>.</summary>
    public static SoqlException At(string errorCode, string soql, int position, string reason)
    {
        position = Math.Clamp(position, 0, soql.Length);
        var row = 1;
        var lineStart = 0;
        for (var i = 0; i < position; i++)
        {
            if (soql[i] == '\n')
            {
                row++;
                lineStart = i + 1;
            }
        }

        var lineEnd = soql.IndexOf('\n', lineStart);
        var line = (lineEnd < 0 ? soql[lineStart..] : soql[lineStart..lineEnd]).TrimEnd('\r');
        var column = position - lineStart + 1;
        return new SoqlException(errorCode, $"\n{line}\n{new string(' ', column - 1)}^\nERROR at Row:{row}:Column:{column}\n{reason}");
    }
}
