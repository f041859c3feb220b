using Npgsql.Replication.PgOutput;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// One tuple of a replication message, copied out of the driver's buffer (which the next message overwrites): each
/// needed column's text, or NULL, or "unchanged and stored out of line" (TOAST), which PostgreSQL does not resend.
/// </summary>
internal sealed class CdcRow
{
    private CdcRow(string?[] texts, bool[] unchanged)
    {
        Texts = texts;
        Unchanged = unchanged;
    }

    public string?[] Texts { get; }

    /// <summary>Columns PostgreSQL left out because they are TOASTed and the update did not change them.</summary>
    public bool[] Unchanged { get; }

    public bool HasUnchanged => Array.IndexOf(Unchanged, true) >= 0;

    public static async ValueTask<CdcRow> ReadAsync(ReplicationTuple tuple, CdcRelation relation, CancellationToken ct)
    {
        var needed = relation.Needed;
        var texts = new string?[needed.Length];
        var unchanged = new bool[needed.Length];
        var i = 0;
        await foreach (var value in tuple.WithCancellation(ct))
        {
            if (i < needed.Length && needed[i])
            {
                switch (value.Kind)
                {
                    case TupleDataKind.Null:
                        break;
                    case TupleDataKind.UnchangedToastedValue:
                        unchanged[i] = true;
                        break;
                    default:
                        var text = await value.Get<string>(ct);
                        // boolout writes t and f, but a cast to text (the copy's, the query source's) true and false:
                        // watched values and keys must read the same whichever way a row came.
                        texts[i] = relation.Types[i].Kind == CdcValueKind.Boolean ? text switch { "t" => "true", "f" => "false", _ => text } : text;
                        break;
                }
            }

            i++;
        }

        return new CdcRow(texts, unchanged);
    }
}
