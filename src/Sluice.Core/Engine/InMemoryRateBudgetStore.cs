namespace Sluice.Core.Engine;

/// <summary>
/// A destination budget kept in this process: for a destination without a state store, and for tests.
/// The reference for the state store's <c>take_rate_budget</c> function (migration 0005), which does the
/// same arithmetic on a row.
/// </summary>
public sealed class InMemoryRateBudgetStore : IRateBudgetStore
{
    private readonly Dictionary<string, Budget> _budgets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public ValueTask<RateBudgetGrant> TakeAsync(RateBudgetAsk ask, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(Find(ask.Destination, ask.Now).Take(ask));
        }
    }

    public ValueTask PauseAsync(string destination, DateTimeOffset until, DateTimeOffset now, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var budget = Find(destination, now);
            if (until > budget.PausedUntil)
            {
                budget.PausedUntil = until;
            }
        }

        return default;
    }

    private Budget Find(string destination, DateTimeOffset now)
    {
        if (!_budgets.TryGetValue(destination, out var budget))
        {
            budget = new Budget { RefilledAt = now };
            _budgets[destination] = budget;
        }

        return budget;
    }

    /// <summary>Four token buckets: requests and events, each for everyone and for the backfill lane.</summary>
    private sealed class Budget
    {
        // Slack for floating-point refills, so that a wait computed to the tick is enough.
        private const double Epsilon = 1e-9;

        // A new bucket is full: the first refill caps infinity at the bucket's capacity.
        public double Requests { get; private set; } = double.PositiveInfinity;

        public double BackfillRequests { get; private set; } = double.PositiveInfinity;

        public double Events { get; private set; } = double.PositiveInfinity;

        public double BackfillEvents { get; private set; } = double.PositiveInfinity;

        public DateTimeOffset RefilledAt { get; set; }

        public DateTimeOffset PausedUntil { get; set; } = DateTimeOffset.MinValue;

        public RateBudgetGrant Take(RateBudgetAsk ask)
        {
            var limits = ask.Limits;
            var requestRate = limits.RequestsPerSecond;
            var eventRate = limits.EventsPerSecond;
            var share = limits.BackfillShare;
            var elapsed = Math.Max(0, (ask.Now - RefilledAt).TotalSeconds);
            if (ask.Now > RefilledAt)
            {
                RefilledAt = ask.Now;
            }

            Requests = Refill(Requests, requestRate, elapsed);
            BackfillRequests = Refill(BackfillRequests, requestRate * share, elapsed);
            Events = Refill(Events, eventRate, elapsed);
            BackfillEvents = Refill(BackfillEvents, eventRate * share, elapsed);
            if (PausedUntil > ask.Now)
            {
                return new RateBudgetGrant(false, PausedUntil, PausedUntil);
            }

            var backfill = ask.Lane == DeliveryLane.Backfill;
            var wait = Math.Max(
                Math.Max(Shortfall(Requests, ask.Requests, requestRate), backfill ? Shortfall(BackfillRequests, ask.Requests, requestRate * share) : 0),
                Math.Max(Shortfall(Events, ask.Events, eventRate), backfill ? Shortfall(BackfillEvents, ask.Events, eventRate * share) : 0));
            Requests = Spend(Requests, ask.Requests, requestRate);
            Events = Spend(Events, ask.Events, eventRate);
            if (backfill)
            {
                BackfillRequests = Spend(BackfillRequests, ask.Requests, requestRate);
                BackfillEvents = Spend(BackfillEvents, ask.Events, eventRate);
            }

            // Rounded up to the tick, so that the permits are there when the asker comes for them.
            return new RateBudgetGrant(true, ask.Now + TimeSpan.FromTicks((long)Math.Ceiling(wait * TimeSpan.TicksPerSecond)), PausedUntil);
        }

        private static double Capacity(double rate) => Math.Max(1, rate * RateBudgetAsk.Burst.TotalSeconds);

        private static double Refill(double level, double? rate, double elapsed) =>
            rate is { } r && r > 0 ? Math.Min(Capacity(r), level + (r * elapsed)) : level;

        /// <summary>Seconds until the bucket holds the ask, or is full when the ask is larger; 0 if it does now.</summary>
        private static double Shortfall(double level, long ask, double? rate)
        {
            if (rate is not > 0 || ask <= 0)
            {
                return 0;
            }

            var need = Math.Min(ask, Capacity(rate.Value));
            return level + Epsilon >= need ? 0 : (need - level) / rate.Value;
        }

        private static double Spend(double level, long ask, double? rate) => rate is > 0 ? level - ask : level;
    }
}
