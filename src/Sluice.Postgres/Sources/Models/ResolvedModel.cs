using Sluice.Core.Records;

namespace Sluice.Postgres.Sources.Models;

/// <summary>A model checked against the database: its tables found, their columns and types known.</summary>
/// <param name="Primary">The primary table.</param>
/// <param name="Key">The record key, a column of the primary table.</param>
/// <param name="Secondaries">The secondary tables, by their name in <c>from:</c>.</param>
/// <param name="Properties">The properties, in the order written.</param>
/// <param name="Filter">The primary table's <c>filter:</c>.</param>
internal sealed record ResolvedModel(ModelTable Primary, SourceColumn Key, IReadOnlyDictionary<string, ModelTable> Secondaries, IReadOnlyList<ModelProperty> Properties, string? Filter)
{
    /// <summary>The source schema: the key column, then the properties, with the types PostgreSQL gives them.</summary>
    public SourceSchema Schema { get; init; } = null!;

    /// <summary>Output columns read as PostgreSQL's text (enums, types the driver has no mapping for).</summary>
    public IReadOnlySet<string> ReadAsText { get; init; } = new HashSet<string>();

    /// <summary>Every table the model follows by cursor (the primary first), by its resolved name.</summary>
    public IEnumerable<ModelTable> Followed =>
        new[] { Primary }.Concat(Secondaries.Values).Where(t => t.Cursor is not null).DistinctBy(t => t.Name);

    /// <summary>The table a property reads.</summary>
    public ModelTable TableOf(ModelProperty property) => property.From is { } from ? Secondaries[from] : Primary;
}
