namespace Sluice.Server.Scheduling;

/// <summary>
/// The pause before a failed continuous sync is started again: about <see cref="First"/>, doubling with each failure
/// in a row up to about <see cref="Longest"/>, and back to the first after a run that made progress. Each pause is
/// drawn between half and all of its ceiling ("equal jitter"), so that processes restarting the same failing sync
/// against the same database do not retry in step, and no pause is ever near zero.
/// </summary>
internal sealed class RestartBackoff(Func<double> random)
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(1);

    private TimeSpan _ceiling = First;

    /// <summary>The pause after one more failure in a row.</summary>
    public TimeSpan Next()
    {
        var pause = _ceiling * (0.5 + (Math.Clamp(random(), 0, 1) / 2));
        _ceiling = _ceiling * 2 < Longest ? _ceiling * 2 : Longest;
        return pause;
    }

    /// <summary>After a run that succeeded or committed at least one batch: the next failure pauses as the first did.</summary>
    public void Reset() => _ceiling = First;
}
