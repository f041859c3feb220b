using Sluice.Bench.Harness;

namespace Sluice.Bench.Records;

internal sealed class RecordsOptions
{
    public int Customers { get; init; } = 100_000;

    public int Orders { get; init; } = 1_000_000;

    /// <summary>Customers changed before the second (incremental) run; default 1,000, at most <see cref="Customers"/>.</summary>
    public int Changed { get; init; } = 1_000;

    /// <summary>Orders inserted before the third (incremental) run; default 10,000.</summary>
    public int NewOrders { get; init; } = 10_000;

    /// <summary>The sluice binary; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static RecordsOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("records", args, "--customers", "--orders", "--changed", "--new-orders");
        var customers = given.Count("--customers") ?? 100_000;
        var changed = given.Count("--changed") ?? Math.Min(1_000, customers);
        if (changed > customers)
        {
            throw new ArgumentException($"records: --changed {changed:N0} is more than --customers {customers:N0}");
        }

        return new RecordsOptions
        {
            Customers = customers,
            Orders = given.Count("--orders") ?? customers * 10,
            Changed = changed,
            NewOrders = given.Count("--new-orders") ?? 10_000,
            SluiceBinary = given.SluiceBinary,
            Keep = given.Keep,
        };
    }
}
