namespace Sluice.Bench.Harness;

/// <summary>A progress line: rewritten in place on a terminal, one line per tenth when output is redirected.</summary>
internal sealed class ConsoleProgress(string label, long expected) : IProgress<long>
{
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private int _lastTenth = -1;

    public void Report(long value)
    {
        var tenth = (int)(Math.Min(value, expected) * 10 / Math.Max(1, expected));
        if (_interactive)
        {
            Console.Write($"\r{label}: {value:N0} rows");
        }
        else if (tenth != _lastTenth)
        {
            _lastTenth = tenth;
            Console.WriteLine($"{label}: {value:N0} rows");
        }
    }

    public void Done(string summary)
    {
        if (_interactive)
        {
            Console.Write('\r');
        }

        Console.WriteLine($"{label}: {summary}".PadRight(80));
    }
}
