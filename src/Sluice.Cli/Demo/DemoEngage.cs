using System.Text.Json;
using Npgsql;
using Sluice.Cli.Terminal;
using Sluice.Dev.Embedded;
using Sluice.Emulators.Segment;
using Spectre.Console;

namespace Sluice.Cli.Demo;

/// <summary>
/// The demo's Engage audiences (docs/segment.md, S6): a Segment emulator pushes what Engage sends a webhook destination
/// — users entering and leaving the <c>power_users</c> audience, a computed trait, a retried and a late delivery —
/// signed with the shared secret, to <c>sluice run</c>'s Engage webhook; the sync upserts them into the app database.
/// </summary>
internal static class DemoEngage
{
    public const string SyncName = "engage_to_app";
    public const string Audience = "power_users";
    public const string Trait = "orders_last_30d";

    /// <summary>Users the pushes are about: the demo's first five.</summary>
    public const int Users = 5;

    private const string Path = "/engage/demo";
    private const string SecretVariable = "ENGAGE_SHARED_SECRET";
    private const string DefaultSecret = "demo-engage-secret";

    private static string Secret => Environment.GetEnvironmentVariable(SecretVariable) is { Length: > 0 } secret ? secret : DefaultSecret;

    /// <summary>The Engage webhook, indented as an entry under <c>connections:</c>.</summary>
    public static string Connection => $$"""
          engage:                    # Segment Engage's webhook destination (audiences, computed traits), served by sluice run
            type: engage
            path: {{Path}}
            secret: ${{{SecretVariable}}:-{{DefaultSecret}}}
        """;

    /// <summary>The Engage sync, indented as an entry under <c>syncs:</c>.</summary>
    public static string Sync => $"""
          # S6: Engage audiences and computed traits upserted into the app database, newest delivery wins.
          {SyncName}:
            source: {"{"}connection: engage{"}"}
            destination:
              connection: app
              layout: engage
              audiences_table: public.audience_members
              traits_table: public.customer_traits
        """;

    /// <summary>
    /// Pushes the deliveries to the webhook of the server at <paramref name="server"/> and waits until the app database
    /// shows them: users 1–5 entered, user 3 left again (its exit sent twice, as Segment retries), user 2's exit computed
    /// before its entry arriving late (ignored), and the computed trait for each. True when the tables say exactly that.
    /// </summary>
    public static async Task<bool> PushAndPrintAsync(Uri server, LocalCluster cluster, CancellationToken ct)
    {
        await using var emulator = await SegmentEmulator.StartAsync(
            new SegmentEmulatorOptions { Port = 0, EngageWebhook = new Uri(server, Path), EngageSecret = Secret }, ct);
        // Engage's timestamps: whole seconds, newer on every demo run, so each run's deliveries win over the last's.
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var entered = now.AddMinutes(-5);
        var pushes = new List<EngagePush>();
        for (var user = 1; user <= Users; user++)
        {
            var id = user.ToString(System.Globalization.CultureInfo.InvariantCulture);
            pushes.Add(new EngagePush { Kind = "entered", UserId = id, Key = Audience, Timestamp = entered, As = user % 2 == 0 ? "track" : "identify" });
            pushes.Add(new EngagePush { Kind = "trait", UserId = id, Key = Trait, Value = JsonSerializer.SerializeToElement(user * 3), Timestamp = entered });
        }

        pushes.Add(new EngagePush { Kind = "exited", UserId = "3", Key = Audience, Timestamp = now.AddMinutes(-1), Times = 2 });
        pushes.Add(new EngagePush { Kind = "exited", UserId = "2", Key = Audience, Timestamp = now.AddMinutes(-10) });
        var answers = await emulator.PushEngageAsync(pushes, ct);

        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(DemoEnvironment.Database));
        var (members, left, traits) = (0L, 0L, 0L);
        await DemoWait.UntilAsync(async () =>
        {
            (members, left, traits) = await LandedAsync(dataSource, entered, ct);
            return members + left == Users && traits == Users && left >= 1;
        }, "the Engage deliveries to reach the app database", ct);

        var table = new Table().Border(TableBorder.Rounded).AddColumn("Engage → PostgreSQL (emulator pushes, signed)").AddColumn(new TableColumn("").RightAligned());
        table.AddRow("deliveries pushed to the webhook (a retry and a late exit among them)", answers.Count.ToString("N0", null));
        table.AddRow("answered 200", answers.Count(a => a == 200).ToString("N0", null));
        table.AddRow($"in audience {Audience} (public.audience_members)", members.ToString("N0", null));
        table.AddRow($"left {Audience} (member = false)", left.ToString("N0", null));
        table.AddRow($"computed trait {Trait} (public.customer_traits)", traits.ToString("N0", null));
        AnsiConsole.Write(table);
        Output.Line($"engage: {answers.Count} deliveries, {members} in {Audience}, {left} left, {traits} traits");
        return answers.All(a => a == 200) && members == Users - 1 && left == 1 && traits == Users;
    }

    /// <summary>This run's rows: members and leavers of the audience, and traits, updated at or after <paramref name="since"/>.</summary>
    private static async Task<(long Members, long Left, long Traits)> LandedAsync(NpgsqlDataSource dataSource, DateTimeOffset since, CancellationToken ct)
    {
        await using var exists = dataSource.CreateCommand("SELECT to_regclass('public.audience_members') IS NOT NULL AND to_regclass('public.customer_traits') IS NOT NULL");
        if (await exists.ExecuteScalarAsync(ct) is not true)
        {
            // The sync creates them with its first write.
            return (0, 0, 0);
        }

        await using var counts = dataSource.CreateCommand($"""
            SELECT count(*) FILTER (WHERE member), count(*) FILTER (WHERE NOT member),
                   (SELECT count(*) FROM public.customer_traits WHERE trait = '{Trait}' AND updated_at >= $1)
            FROM public.audience_members WHERE audience = '{Audience}' AND updated_at >= $1
            """);
        counts.Parameters.Add(new NpgsqlParameter { Value = since });
        await using var reader = await counts.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
