using System.Globalization;

namespace Sluice.Bench.Harness;

/// <summary>
/// A benchmark's command line: its own <c>--name N</c> counts (whole numbers above zero, <c>1,000,000</c> allowed),
/// and the two options every benchmark takes, <c>--sluice PATH</c> and <c>--keep</c>.
/// </summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    private BenchArguments()
    {
    }

    /// <summary>The sluice binary given with <c>--sluice</c>; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; private set; }

    public bool Keep { get; private set; }

    /// <param name="benchmark">The benchmark's name, for errors.</param>
    /// <param name="counts">The count options it takes, e.g. <c>--users</c>.</param>
    public static BenchArguments Parse(string benchmark, IReadOnlyList<string> args, params string[] counts)
    {
        var parsed = new BenchArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var option = args[i];
            if (counts.Contains(option) && i + 1 < args.Count
                && int.TryParse(args[i + 1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var count) && count > 0)
            {
                parsed._counts[option] = count;
                i++;
            }
            else if (option == "--sluice" && i + 1 < args.Count)
            {
                parsed.SluiceBinary = Path.GetFullPath(args[++i]);
            }
            else if (option == "--keep")
            {
                parsed.Keep = true;
            }
            else
            {
                throw new ArgumentException($"{benchmark}: unknown or incomplete option '{option}'");
            }
        }

        return parsed;
    }

    /// <summary>The count given for <paramref name="option"/>, or null.</summary>
    public int? Count(string option) => _counts.TryGetValue(option, out var count) ? count : null;
}
