namespace Sluice.Server.Notifications;

/// <summary>The body a <c>notify:</c> webhook is sent (<c>format:</c>).</summary>
public enum NotifyFormat
{
    /// <summary><c>{"text": "…"}</c>: a Slack incoming webhook, and the chat tools that accept its format (Mattermost, Rocket.Chat, Teams workflows).</summary>
    Slack,

    /// <summary>A plain JSON object: sync, state, transition, reasons (kind and text), previous kinds, time.</summary>
    Json,
}
