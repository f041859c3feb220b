using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Bench.Harness;

/// <summary>bench/results/&lt;name&gt;-&lt;timestamp&gt;.json (gitignored), plus the children's logs beside it.</summary>
internal static class ResultsFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file for people, not for a web page
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static string Stem(string repoRoot, string name, DateTimeOffset startedAt)
    {
        var directory = Path.Combine(repoRoot, "bench", "results");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $"{name}-{startedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}");
    }

    public static async Task<string> WriteAsync<T>(string stem, T result, CancellationToken ct)
    {
        var path = stem + ".json";
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result, Json) + "\n", ct);
        return path;
    }
}
