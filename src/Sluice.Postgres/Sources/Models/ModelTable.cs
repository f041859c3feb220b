using Sluice.Core.Records;

namespace Sluice.Postgres.Sources.Models;

/// <summary>A table a model reads, as found in the catalog.</summary>
/// <param name="Found">The table.</param>
/// <param name="Columns">Its columns by name.</param>
/// <param name="PrimaryKey">Its primary key (breaks ties among a record's rows); empty when it has none.</param>
/// <param name="Cursor">Its high-watermark column, when the model follows it.</param>
internal sealed record ModelTable(PostgresCatalog.Table Found, IReadOnlyDictionary<string, SourceColumn> Columns, IReadOnlyList<string> PrimaryKey, SourceColumn? Cursor)
{
    /// <summary><c>schema.table</c>: how the checkpoint names it.</summary>
    public string Name => Found.ToString();

    public string Qualified => Found.Qualified;
}
