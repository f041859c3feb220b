namespace Sluice.Server.Logging;

/// <summary>How a long-running process (<c>sluice run</c>) writes its log lines to standard output.</summary>
public enum LogFormat
{
    /// <summary>One line per event: an ISO-8601 UTC timestamp, the level, the message (the default).</summary>
    Text,

    /// <summary>One JSON object per line (timestamp, level, category, message and its named values), for log collectors.</summary>
    Json,
}
