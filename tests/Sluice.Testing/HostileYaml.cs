using System.Text;

namespace Sluice.Testing;

/// <summary>Config files built to exhaust a parser, for the tests that prove Sluice refuses them.</summary>
public static class HostileYaml
{
    /// <summary>
    /// Billion laughs in 1.2 KB: each level is a mapping of nine aliases of the level before, so nine levels
    /// expand to 9^9 (387 million) values when anything walks the mapping.
    /// </summary>
    public static string AliasBomb(int levels = 9)
    {
        var yaml = new StringBuilder("""
            version: 1
            connections:
              app: {type: postgres, host: localhost, database: app, user: u}
              segment: {type: segment, write_key: k}
            syncs:
              users:
                source: {connection: app, table: public.users}
                destination: {connection: segment, call: identify}
                mapping:
                  user_id: id
                  t0: &a0 {c0: a, c1: a, c2: a, c3: a, c4: a, c5: a, c6: a, c7: a, c8: a}

            """);
        for (var level = 1; level <= levels; level++)
        {
            var fields = string.Join(", ", Enumerable.Range(0, 9).Select(i => $"c{i}: *a{level - 1}"));
            yaml.Append($"      t{level}: &a{level} {{{fields}}}\n");
        }

        return yaml.ToString();
    }
}
