using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Emulators.Salesforce;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests.UseCases;

/// <summary>
/// One worked example of docs/salesforce.md running as written: its config file (the very text the doc shows), a fresh
/// PostgreSQL database holding the app's tables and Sluice's state, and the emulator in process with the examples' org
/// file — syncs run through the workspace the <c>sluice</c> binary uses.
/// </summary>
internal sealed class UseCaseBed : IAsyncDisposable
{
    private UseCaseBed(SalesforceEmulator emulator, NpgsqlDataSource app, SluiceWorkspace workspace)
    {
        Emulator = emulator;
        App = app;
        Workspace = workspace;
    }

    public SalesforceEmulator Emulator { get; }

    public NpgsqlDataSource App { get; }

    public SluiceWorkspace Workspace { get; }

    /// <summary>The text of a file of UseCases/ (a config or the org file), as docs/salesforce.md includes it.</summary>
    public static string Text(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "UseCases", file));

    /// <param name="edit">A change to the config's text before it is parsed (a variant of the example), if any.</param>
    public static async Task<UseCaseBed> StartAsync(string configFile, string schemaSql, Func<string, string>? edit = null)
    {
        var emulator = await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
        {
            Port = 0,
            Org = Sluice.Emulators.Salesforce.OrgFile.Parse(Text("org.yaml"), "org.yaml"),
        });
        var connectionString = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync("sf_use_case"));
        var app = NpgsqlDataSource.Create(connectionString.ConnectionString);
        await using (var command = app.CreateCommand(schemaSql))
        {
            await command.ExecuteNonQueryAsync();
        }

        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = connectionString.Host!,
            ["PGPORT"] = connectionString.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGDATABASE"] = connectionString.Database!,
            ["PGUSER"] = connectionString.Username ?? "postgres",
            ["SALESFORCE_LOGIN_URL"] = emulator.InstanceUrl,
            ["SALESFORCE_CLIENT_ID"] = "sluice-client",
            ["SALESFORCE_CLIENT_SECRET"] = "sluice-secret",
        };
        var text = Text(configFile);
        var config = SluiceConfig.Parse(edit is null ? text : edit(text), configFile, environment);
        var workspace = new SluiceWorkspace(config, TimeProvider.System);
        await workspace.ValidateAsync();
        return new UseCaseBed(emulator, app, workspace);
    }

    /// <summary>One run of a sync, as <c>sluice sync NAME</c> (its schedule's next turn) does it.</summary>
    public Task<RunResult> RunAsync(string sync) => Workspace.RunAsync(sync, RunKind.Incremental, null, CancellationToken.None);

    /// <summary>
    /// Runs a sync whose source streams (its run never ends, as under <c>sluice run</c>) until <paramref name="done"/>
    /// holds, then stops it; a run that ends by itself first (it failed) is reported.
    /// </summary>
    public async Task RunUntilAsync(string sync, Func<Task<bool>> done, string what)
    {
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => Workspace.RunAsync(sync, RunKind.Incremental, null, stop.Token));
        try
        {
            await Eventually.HoldsAsync(async () => run.IsCompleted || await done(), what);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
                // Stopped, as asked.
            }
        }

        Assert.True(await done(), $"{sync} ended before {what}");
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = App.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<List<T>> ColumnAsync<T>(string sql)
    {
        await using var command = App.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.IsDBNull(0) ? default! : reader.GetFieldValue<T>(0));
        }

        return values;
    }

    /// <summary>Requests that reached the org's REST API (not the token endpoint or the admin API).</summary>
    public int ApiRequests(string pathPart, string? method = null) =>
        Emulator.Requests.Count(r => r.Path.Contains("/services/data/", StringComparison.Ordinal) && r.Path.Contains(pathPart, StringComparison.Ordinal) && (method is null || r.Method == method));

    public async ValueTask DisposeAsync()
    {
        await Workspace.DisposeAsync();
        await App.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
