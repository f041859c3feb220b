using System.Globalization;
using System.Text;

namespace Sluice.Bench.SalesforceSource;

/// <summary>
/// The Opportunities the bench seeds (a CSV for a Bulk insert), the SOQL both loads read, and the PostgreSQL tables they
/// land in: one per load, the same columns, so that the two can be compared row by row.
/// </summary>
internal static class OpportunityRows
{
    /// <summary>Names of the followed Opportunities start so; the streaming sync reads only these (<c>where:</c>).</summary>
    public const string FollowedPrefix = "Followed ";

    /// <summary>The fields read, in order (Owner.Email through the relationship, as F2 reads it).</summary>
    public static readonly string[] Fields = ["Id", "Name", "StageName", "Amount", "Probability", "CloseDate", "Owner.Email", "SystemModstamp"];

    /// <summary>The table's columns, in <see cref="Fields"/>' order.</summary>
    public static readonly string[] Columns = ["id", "name", "stage", "amount", "probability", "close_date", "owner_email", "modstamp"];

    private static readonly string[] Stages = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"];

    public static string Soql => $"SELECT {string.Join(", ", Fields)} FROM Opportunity";

    /// <summary>A table for a load: <paramref name="notify"/> adds a trigger that announces each written row once committed (NOTIFY is delivered at commit).</summary>
    public static string CreateTable(string table, bool notify) =>
        $"""
        CREATE TABLE {table} (
            id text PRIMARY KEY, name text NOT NULL, stage text NOT NULL, amount numeric(18, 2), probability numeric(3, 0),
            close_date date NOT NULL, owner_email text, modstamp timestamptz NOT NULL);
        """ + (notify
            ? $"""

              CREATE FUNCTION announce_row() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM pg_notify('row_visible', NEW.id || ' ' || coalesce(NEW.amount::text, '') || ' ' || (extract(epoch FROM NEW.modstamp) * 1000)::bigint); RETURN NEW; END $$;
              CREATE TRIGGER announce_rows AFTER INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION announce_row();
              """
            : "");

    /// <summary>The seed: <paramref name="rows"/> Opportunities, the first <paramref name="followed"/> named for the streaming sync.</summary>
    public static async Task<long> WriteCsvAsync(string path, int rows, int followed, CancellationToken ct)
    {
        await using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16))
        {
            await writer.WriteAsync("Name,StageName,Amount,Probability,CloseDate\n");
            var line = new StringBuilder();
            for (var i = 1; i <= rows; i++)
            {
                line.Clear();
                line.Append(i <= followed ? FollowedPrefix : "Deal ").Append(i.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(Stages[i % Stages.Length]).Append(',')
                    .Append((1_000 + (i % 97_000) * 1.25m).ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
                    .Append((i % 11 * 10).ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(new DateOnly(2026, 1, 1).AddDays(i % 365).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append('\n');
                await writer.WriteAsync(line, ct);
            }
        }

        return new FileInfo(path).Length;
    }
}
