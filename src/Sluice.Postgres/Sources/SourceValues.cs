using Npgsql;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>How every PostgreSQL source reads one column of a row.</summary>
internal static class SourceValues
{
    /// <summary>
    /// The value, <c>null</c> for SQL NULL; one the driver cannot hand over (a numeric beyond .NET's decimal, say)
    /// becomes an <see cref="UnreadableValue"/> that dead-letters the record, not the run.
    /// </summary>
    public static object? Read(NpgsqlDataReader reader, int ordinal)
    {
        try
        {
            var value = reader.GetValue(ordinal);
            return value is DBNull ? null : value;
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return Unreadable(reader, ordinal, e);
        }
    }

    /// <summary>Whether the driver threw <paramref name="e"/> because it cannot hand over this one value (not because the connection failed).</summary>
    public static bool IsUnreadable(Exception e) => e is InvalidCastException or OverflowException or NotSupportedException;

    /// <summary>The value that stands for one the driver could not read, naming the column and its type.</summary>
    public static UnreadableValue Unreadable(NpgsqlDataReader reader, int ordinal, Exception e) =>
        new($"column '{reader.GetName(ordinal)}' ({reader.GetDataTypeName(ordinal)}): {e.Message}");
}
