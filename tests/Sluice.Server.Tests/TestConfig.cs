using Sluice.Core.Configuration;

namespace Sluice.Server.Tests;

/// <summary>Config files for tests that read config without connecting: a postgres connection and a Segment one.</summary>
internal static class TestConfig
{
    public const string Connections = """
        connections:
          app:
            type: postgres
            database: app
          segment:
            type: segment
            write_key: test
          web:
            type: ingest
            write_key: web-key

        """;

    /// <summary>A sync reading <c>public.NAME</c> into Segment, with <paramref name="extra"/> lines (e.g. <c>schedule: every 5m</c>).</summary>
    public static string TableSync(string name, params string[] extra) => $"""
          {name}:
            source:
              connection: app
              table: public.{name}
              cursor: updated_at
            destination:
              connection: segment
              call: identify
            mapping:
              user_id: id
        {string.Concat(extra.Select(line => $"    {line}\n"))}
        """;

    /// <summary>A sync streaming the ingest queue of <c>web</c> into an events table, with <paramref name="extra"/> lines.</summary>
    public static string IngestSync(string name, params string[] extra) => $"""
          {name}:
            source:
              connection: web
            destination:
              connection: app
              table: public.events
              create_table: true
        {string.Concat(extra.Select(line => $"    {line}\n"))}
        """;

    public static string File(params string[] syncs) => Connections + "syncs:\n" + string.Concat(syncs);

    public static SluiceConfig Parse(string yaml) => SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>());

    /// <summary>The 1-based line of the first line of <paramref name="yaml"/> that contains <paramref name="text"/> after <paramref name="after"/>.</summary>
    public static int LineOf(string yaml, string text, string? after = null)
    {
        var lines = yaml.Split('\n');
        var from = after is null ? 0 : Array.FindIndex(lines, l => l.Contains(after, StringComparison.Ordinal));
        return Array.FindIndex(lines, from, l => l.Contains(text, StringComparison.Ordinal)) + 1;
    }
}
