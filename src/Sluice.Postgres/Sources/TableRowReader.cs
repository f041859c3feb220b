using Npgsql;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Reads the columns of one result set to the same .NET values as <see cref="SourceValues.Read"/>, but each column of a
/// common built-in type through the driver's typed call, chosen once per result set. <c>GetValue</c> looks up the column's
/// converter and reads through its object path for every value; a table sync spends a tenth of its CPU there.
/// </summary>
/// <remarks>
/// A column takes the typed path only when its type is built in (by OID, so a domain, enum or extension type never does)
/// and the driver's own <c>GetFieldType</c> names the .NET type that path reads: the value is then the one <c>GetValue</c>
/// would have returned. Every other column, and every value the typed call cannot read, goes through
/// <see cref="SourceValues.Read"/>.
/// </remarks>
internal sealed class TableRowReader
{
    private static readonly object True = true;
    private static readonly object False = false;

    private readonly Typed[] _columns;

    public TableRowReader(NpgsqlDataReader reader)
    {
        _columns = new Typed[reader.FieldCount];
        for (var i = 0; i < _columns.Length; i++)
        {
            _columns[i] = TypedOf(reader, i);
        }
    }

    /// <summary>Which typed call reads the column, <see cref="Typed.None"/> for <see cref="SourceValues.Read"/>.</summary>
    public Typed this[int ordinal] => _columns[ordinal];

    /// <summary>The value, <c>null</c> for SQL NULL, an <see cref="Core.Records.UnreadableValue"/> for one the driver cannot hand over.</summary>
    public object? Read(NpgsqlDataReader reader, int ordinal)
    {
        var typed = _columns[ordinal];
        if (typed == Typed.None)
        {
            return SourceValues.Read(reader, ordinal);
        }

        try
        {
            if (reader.IsDBNull(ordinal))
            {
                return null;
            }

            return typed switch
            {
                Typed.String => reader.GetString(ordinal),
                Typed.Int64 => reader.GetInt64(ordinal),
                Typed.Int32 => reader.GetInt32(ordinal),
                Typed.Int16 => reader.GetInt16(ordinal),
                Typed.Boolean => reader.GetBoolean(ordinal) ? True : False,
                Typed.Double => reader.GetDouble(ordinal),
                Typed.Single => reader.GetFloat(ordinal),
                Typed.Decimal => reader.GetDecimal(ordinal),
                Typed.DateTime => reader.GetDateTime(ordinal),
                Typed.Guid => reader.GetGuid(ordinal),
                _ => SourceValues.Read(reader, ordinal),
            };
        }
        catch (Exception e) when (SourceValues.IsUnreadable(e))
        {
            return SourceValues.Unreadable(reader, ordinal, e);
        }
    }

    private static Typed TypedOf(NpgsqlDataReader reader, int ordinal)
    {
        // OIDs of built-in types are fixed (pg_type.dat); a domain arrives as its base type's OID.
        var (typed, clr) = reader.GetDataTypeOID(ordinal) switch
        {
            25 or 1043 or 1042 or 114 or 3802 => (Typed.String, typeof(string)), // text, varchar, bpchar, json, jsonb
            20 => (Typed.Int64, typeof(long)),
            23 => (Typed.Int32, typeof(int)),
            21 => (Typed.Int16, typeof(short)),
            16 => (Typed.Boolean, typeof(bool)),
            701 => (Typed.Double, typeof(double)),
            700 => (Typed.Single, typeof(float)),
            1700 => (Typed.Decimal, typeof(decimal)),
            1184 or 1114 or 1082 => (Typed.DateTime, typeof(DateTime)), // timestamptz, timestamp, date
            2950 => (Typed.Guid, typeof(Guid)),
            _ => (Typed.None, null),
        };

        try
        {
            return clr is not null && reader.GetFieldType(ordinal) == clr ? typed : Typed.None;
        }
        catch (Exception e) when (SourceValues.IsUnreadable(e))
        {
            return Typed.None;
        }
    }

    /// <summary>The typed call a column is read with.</summary>
    internal enum Typed
    {
        None,
        String,
        Int64,
        Int32,
        Int16,
        Boolean,
        Double,
        Single,
        Decimal,
        DateTime,
        Guid,
    }
}
