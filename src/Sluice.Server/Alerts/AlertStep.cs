namespace Sluice.Server.Alerts;

/// <summary>
/// One evaluation's outcome: the state after it and the event to send, if any. The state machine is
/// <c>ok</c> → <c>firing</c> when the value crosses the threshold, <c>firing</c> → <c>ok</c> when it crosses back past
/// <c>clear_at</c>; everything else keeps the state and sends nothing, so a metric that stays over the line (or hovers
/// between the threshold and <c>clear_at</c>) fires once.
/// </summary>
/// <param name="State"><see cref="Ok"/> or <see cref="Firing"/>.</param>
/// <param name="Crossed">The transition made: <see cref="Fired"/>, <see cref="Recovered"/>, or null for none.</param>
public readonly record struct AlertStep(string State, string? Crossed)
{
    public const string Ok = "ok";
    public const string Firing = "firing";
    public const string Fired = "fired";
    public const string Recovered = "recovered";

    /// <summary>The step from <paramref name="state"/> given the metric's <paramref name="value"/> (null: no value, no change).</summary>
    public static AlertStep Next(AlertOptions alert, string state, double? value)
    {
        if (value is not { } v || double.IsNaN(v))
        {
            return new AlertStep(state, null);
        }

        var above = alert.Direction == AlertDirection.Above;
        if (state != Firing)
        {
            return (above ? v > alert.Threshold : v < alert.Threshold) ? new AlertStep(Firing, Fired) : new AlertStep(Ok, null);
        }

        return (above ? v <= alert.ClearAt : v >= alert.ClearAt) ? new AlertStep(Ok, Recovered) : new AlertStep(Firing, null);
    }
}
