using Sluice.Core.Records;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres.Cdc;

/// <summary>A followed table as the catalog describes it: its columns, the key that identifies a row, its replica identity.</summary>
/// <param name="Key">The primary key, or the replica identity index's columns for a table without one.</param>
/// <param name="Identity"><c>pg_class.relreplident</c>: <c>d</c> default (the primary key), <c>f</c> full, <c>i</c> an index, <c>n</c> nothing.</param>
/// <param name="IdentityKey">The columns PostgreSQL logs of a row's old version: the key for <c>d</c> and <c>i</c>, every column for <c>f</c>.</param>
internal sealed record CdcTable(
    PostgresCatalog.Table Table,
    IReadOnlyList<SourceColumn> Columns,
    IReadOnlySet<string> ReadAsText,
    IReadOnlyList<string> Key,
    char Identity,
    IReadOnlySet<string> IdentityKey)
{
    public bool IdentityFull => Identity == 'f';

    public SourceColumn? Find(string column) => Columns.FirstOrDefault(c => c.Name == column);

    /// <summary>The SQL that makes PostgreSQL log whole old rows, for messages.</summary>
    public string IdentityFullSql => $"ALTER TABLE {Table.Qualified} REPLICA IDENTITY FULL;";

    public override string ToString() => Table.ToString();
}
