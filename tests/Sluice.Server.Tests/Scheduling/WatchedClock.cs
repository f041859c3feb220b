using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when a timer is armed, and for how long: a test moves the clock only once
/// the scheduler is waiting on it, so that no advance lands before the wait it was meant to end.
/// </summary>
internal sealed class WatchedClock(DateTimeOffset start) : TimeProvider
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly Channel<TimeSpan> _armed = Channel.CreateUnbounded<TimeSpan>();

    public FakeTimeProvider Fake { get; } = new(start);

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        _armed.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>How long the next timer armed waits, once it is armed (those armed earlier first).</summary>
    public async Task<TimeSpan> NextTimerAsync(string? context = null)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            return await _armed.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no timer was armed within {Deadline.TotalSeconds} s{(context is null ? "" : "; " + context)}");
            throw;
        }
    }

    /// <summary>Waits for the next timer to be armed and moves the clock to its end; returns its wait.</summary>
    public async Task<TimeSpan> AdvanceToNextTimerAsync(string? context = null)
    {
        var wait = await NextTimerAsync(context);
        Fake.Advance(wait);
        return wait;
    }
}
