using Sluice.Core.Configuration;

namespace Sluice.Core.Engine.Processing.Validation;

/// <summary>Where a rule's values must exist: <c>exists_in: CONNECTION.SCHEMA.TABLE.COLUMN</c> (the schema defaults to <c>public</c>).</summary>
/// <param name="Connection">The connection, as named under <c>connections:</c>.</param>
/// <param name="Location">Where <c>exists_in</c> is written, for errors.</param>
public sealed record ReferenceColumn(string Connection, string Schema, string Table, string Column, ConfigLocation Location)
{
    /// <summary>As written: <c>app.public.users.id</c>.</summary>
    public override string ToString() => $"{Connection}.{Schema}.{Table}.{Column}";

    /// <summary>Reads <c>exists_in</c>: three or four dot-separated names.</summary>
    public static ReferenceColumn Parse(string text, ConfigLocation location)
    {
        const string Fix = "write CONNECTION.SCHEMA.TABLE.COLUMN, e.g. 'exists_in: app.public.users.id' (or CONNECTION.TABLE.COLUMN for the public schema)";
        var parts = text.Split('.');
        if (parts.Length is < 3 or > 4 || parts.Any(p => p.Trim().Length == 0 || p.Trim() != p))
        {
            throw new ConfigException(location, $"'exists_in' is '{text}', which does not name a column", Fix);
        }

        return parts.Length == 4
            ? new ReferenceColumn(parts[0], parts[1], parts[2], parts[3], location)
            : new ReferenceColumn(parts[0], "public", parts[1], parts[2], location);
    }
}
