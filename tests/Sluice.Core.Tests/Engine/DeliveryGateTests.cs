using Sluice.Core.Engine;
using Sluice.Testing;

namespace Sluice.Core.Tests.Engine;

public sealed class DeliveryGateTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private readonly TimerAwareFakeTimeProvider _time = new();
    private readonly DeliveryGate _gate;

    public DeliveryGateTests()
    {
        _gate = new DeliveryGate(new RateLimitOptions(), _time);
    }

    [Fact]
    public void An_unpaused_gate_lets_a_sender_through_at_once()
    {
        Assert.True(_gate.WaitAsync(10, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        Assert.Equal(DateTimeOffset.MinValue, _gate.PausedUntil);
    }

    [Fact]
    public void A_pause_that_has_already_passed_holds_nobody()
    {
        _gate.PauseUntil(_time.GetUtcNow() - TimeSpan.FromSeconds(1));

        Assert.True(_gate.WaitAsync(1, CancellationToken.None).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_pause_holds_senders_until_the_clock_passes_it()
    {
        var until = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
        _gate.PauseUntil(until);

        var wait = _gate.WaitAsync(1, CancellationToken.None).AsTask();
        await _time.WaitForTimersAsync(1);
        _time.Advance(TimeSpan.FromSeconds(5) - Tick);

        Assert.False(wait.IsCompleted);

        _time.Advance(Tick);
        await wait.WaitAsync(Settle);
        Assert.Equal(until, _time.GetUtcNow());
    }

    [Fact]
    public async Task A_pause_holds_every_sender_not_just_the_first()
    {
        _gate.PauseUntil(_time.GetUtcNow() + TimeSpan.FromSeconds(3));

        var first = _gate.WaitAsync(1, CancellationToken.None).AsTask();
        var second = _gate.WaitAsync(1, CancellationToken.None).AsTask();
        await _time.WaitForTimersAsync(2);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(first, second).WaitAsync(Settle);
    }

    [Fact]
    public void A_later_pause_wins_over_an_earlier_one()
    {
        var start = _time.GetUtcNow();
        _gate.PauseUntil(start + TimeSpan.FromSeconds(5));
        _gate.PauseUntil(start + TimeSpan.FromSeconds(10));

        Assert.Equal(start + TimeSpan.FromSeconds(10), _gate.PausedUntil);
    }

    [Fact]
    public void An_earlier_pause_does_not_shorten_a_later_one()
    {
        var start = _time.GetUtcNow();
        _gate.PauseUntil(start + TimeSpan.FromSeconds(10));
        _gate.PauseUntil(start + TimeSpan.FromSeconds(5));

        Assert.Equal(start + TimeSpan.FromSeconds(10), _gate.PausedUntil);
    }

    [Fact]
    public async Task A_pause_extended_while_a_sender_waits_holds_it_until_the_new_end()
    {
        var start = _time.GetUtcNow();
        _gate.PauseUntil(start + TimeSpan.FromSeconds(5));
        var wait = _gate.WaitAsync(1, CancellationToken.None).AsTask();
        await _time.WaitForTimersAsync(1);

        _gate.PauseUntil(start + TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(5));
        // The sender wakes at 5 s, sees the new end and waits again.
        await _time.WaitForTimersAsync(1);

        Assert.False(wait.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(5));
        await wait.WaitAsync(Settle);
        Assert.Equal(start + TimeSpan.FromSeconds(10), _time.GetUtcNow());
    }

    [Fact]
    public async Task An_earlier_pause_given_while_a_sender_waits_does_not_release_it_early()
    {
        var start = _time.GetUtcNow();
        _gate.PauseUntil(start + TimeSpan.FromSeconds(10));
        var wait = _gate.WaitAsync(1, CancellationToken.None).AsTask();
        await _time.WaitForTimersAsync(1);

        _gate.PauseUntil(start + TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromSeconds(9));

        Assert.False(wait.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));
        await wait.WaitAsync(Settle);
    }

    [Fact]
    public async Task Cancelling_a_held_sender_ends_its_wait_without_moving_the_clock()
    {
        var start = _time.GetUtcNow();
        _gate.PauseUntil(start + TimeSpan.FromMinutes(5));
        using var cts = new CancellationTokenSource();
        var wait = _gate.WaitAsync(1, cts.Token).AsTask();
        await _time.WaitForTimersAsync(1);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Settle));
        Assert.Equal(start, _time.GetUtcNow());
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public async Task A_sender_with_a_cancelled_token_does_not_get_through_a_pause()
    {
        _gate.PauseUntil(_time.GetUtcNow() + TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _gate.WaitAsync(1, new CancellationToken(canceled: true)).AsTask());
    }
}
