using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Salesforce;

/// <summary>
/// The bench's accounts: row <c>i</c> (1-based) is a pure function of <c>i</c>, so the PostgreSQL table, the CSV
/// jsforce uploads and the check of what the emulator holds all agree without keeping the rows in memory.
/// </summary>
internal static class AccountRows
{
    public static readonly string[] Tiers = ["Free", "Starter", "Growth", "Enterprise"];

    /// <summary>The CSV header: the Account fields each row sets, as the sync's mapping names them.</summary>
    public const string CsvHeader = "External_Id__c,Name,NumberOfEmployees,MRR__c,Renewal_Date__c,Tier__c";

    private static readonly DateOnly FirstRenewal = new(2025, 1, 1);

    public static string ExternalId(int i) => "acc-" + i.ToString("D7", CultureInfo.InvariantCulture);

    public static string Name(int i) => "Account " + i.ToString(CultureInfo.InvariantCulture);

    public static int Employees(int i) => i % 5_000;

    /// <summary>Monthly revenue with cents; <paramref name="bumped"/> is the value after the incremental run's UPDATE (+1).</summary>
    public static decimal Mrr(int i, bool bumped = false) => (i * 37L % 1_000_000) / 100m + (bumped ? 1 : 0);

    public static DateOnly RenewalDate(int i) => FirstRenewal.AddDays(i % 730);

    public static string Tier(int i) => Tiers[i % Tiers.Length];

    /// <summary>The row number of an external id, or null when it is not one of ours.</summary>
    public static int? Index(string? externalId) =>
        externalId is { Length: 11 } && externalId.StartsWith("acc-", StringComparison.Ordinal)
        && int.TryParse(externalId.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;

    /// <summary>Whether row <paramref name="i"/> is one of the <paramref name="changed"/> rows the incremental run sends: evenly spread.</summary>
    public static bool IsChanged(int i, int rows, int changed) => i % Step(rows, changed) == 0 && i / Step(rows, changed) <= changed;

    public static int Step(int rows, int changed) => Math.Max(1, rows / changed);

    /// <summary>
    /// Creates <c>public.accounts</c> and loads <paramref name="rows"/> rows by binary COPY, then VACUUM (ANALYZE) and CHECKPOINT
    /// so the measurements do not pay for the load. Returns the seconds it took.
    /// </summary>
    public static async Task<double> LoadAsync(NpgsqlDataSource db, int rows, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await ExecuteAsync(db, """
            CREATE TABLE public.accounts (
                external_id  text PRIMARY KEY,
                name         text NOT NULL,
                employees    integer NOT NULL,
                mrr          numeric(16,2) NOT NULL,
                renewal_date date NOT NULL,
                tier         text NOT NULL,
                updated_at   timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX accounts_updated_at ON public.accounts (updated_at, external_id);
            """, ct);
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY public.accounts (external_id, name, employees, mrr, renewal_date, tier, updated_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            var loadedAt = DateTime.UtcNow;
            for (var i = 1; i <= rows; i++)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(ExternalId(i), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(Name(i), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(Employees(i), NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(Mrr(i), NpgsqlDbType.Numeric, ct);
                await copy.WriteAsync(RenewalDate(i), NpgsqlDbType.Date, ct);
                await copy.WriteAsync(Tier(i), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(loadedAt, NpgsqlDbType.TimestampTz, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await BenchData.SettleAsync(db, "public.accounts", ct);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The same rows as a ready CSV for jsforce (LF line endings, its default; no value needs quoting). Returns its size in bytes.</summary>
    public static async Task<long> WriteCsvAsync(string path, int rows, CancellationToken ct)
    {
        await using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16) { NewLine = "\n" })
        {
            await writer.WriteLineAsync(CsvHeader);
            for (var i = 1; i <= rows; i++)
            {
                ct.ThrowIfCancellationRequested();
                await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{ExternalId(i)},{Name(i)},{Employees(i)},{Mrr(i):0.00},{RenewalDate(i):yyyy-MM-dd},{Tier(i)}"));
            }
        }

        return new FileInfo(path).Length;
    }

    /// <summary>Adds 1 to <c>mrr</c> of <paramref name="changed"/> rows spread evenly over the table, and moves their cursor.</summary>
    public static async Task<int> ChangeAsync(NpgsqlDataSource db, int rows, int changed, CancellationToken ct)
    {
        var step = Step(rows, changed);
        var updated = await ExecuteAsync(db, string.Create(CultureInfo.InvariantCulture, $"""
            UPDATE public.accounts SET mrr = mrr + 1, updated_at = clock_timestamp()
            WHERE (substr(external_id, 5))::int % {step} = 0 AND (substr(external_id, 5))::int / {step} <= {changed}
            """), ct);
        await ExecuteAsync(db, "CHECKPOINT", ct);
        return updated;
    }

    private static async Task<int> ExecuteAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        return await command.ExecuteNonQueryAsync(ct);
    }
}
