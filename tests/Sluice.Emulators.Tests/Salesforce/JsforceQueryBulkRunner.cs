using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>Runs one of the query/Bulk jsforce scenarios (node/jsforce-*.mjs) against an emulator and returns its JSON.</summary>
internal static class JsforceQueryBulkRunner
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Salesforce", "node");

    public static async Task<SalesforceEmulator> StartAsync() =>
        await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions { Port = 0, Org = OrgFiles.WithSubscriptions() });

    public static async Task<JsonNode> RunAsync(SalesforceEmulator emulator, string scenario, object? args = null)
    {
        await NodeTooling.EnsureInstalledAsync(Folder);
        var result = await NodeTooling.RunAsync(NodeTooling.Node, ["run.mjs", scenario, emulator.BaseUrl.ToString(), JsonSerializer.Serialize(args ?? new { })], Folder, RunTimeout);
        Assert.True(result.Succeeded, $"node run.mjs {scenario} failed (exit {result.ExitCode}):\n{result.Output}");
        var lastLine = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(line => line.StartsWith('{'));
        return JsonNode.Parse(lastLine)!;
    }
}
