namespace Sluice.Dev.Demo.Internal;

/// <summary>Rows loaded so far, across tables, reported every <see cref="Every"/> rows and at the end.</summary>
internal sealed class DemoProgress(IProgress<long>? sink)
{
    private const long Every = 10_000;
    private long _rows;

    public void Add()
    {
        if (++_rows % Every == 0)
        {
            sink?.Report(_rows);
        }
    }

    public void Flush()
    {
        if (_rows % Every != 0)
        {
            sink?.Report(_rows);
        }
    }
}
