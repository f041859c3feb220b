namespace Sluice.Server.Alerts;

/// <summary>Which side of the threshold is the alert: <c>above: X</c> or <c>below: X</c>.</summary>
public enum AlertDirection
{
    /// <summary>Fires when the value rises above the threshold.</summary>
    Above,

    /// <summary>Fires when the value falls below the threshold.</summary>
    Below,
}
