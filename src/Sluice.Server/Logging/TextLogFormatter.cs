using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Sluice.Server.Logging;

/// <summary>
/// <c>2026-05-01T12:00:00.250Z INFO  users_sync: run 7: …</c>: timestamp, level, message, one line per event. The
/// console logger's own simple format puts the category and event id on every line (<c>Sluice.Server.Scheduling.SyncScheduler[0]</c>),
/// which says nothing to an operator and pushes the message off the screen; the JSON format keeps them.
/// </summary>
internal sealed class TextLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "sluice-text";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        textWriter.Write(Line(DateTimeOffset.UtcNow, logEntry.LogLevel, message, logEntry.Exception));
    }

    /// <summary>
    /// One line, newline included. An exception is shown by type and message only: users never see stack traces.
    /// </summary>
    public static string Line(DateTimeOffset at, LogLevel level, string message, Exception? exception = null)
    {
        var text = exception is null ? message : $"{message} ({exception.GetType().Name}: {exception.Message})";
        return $"{at.UtcDateTime.ToString(ConsoleLogging.TimestampFormat, System.Globalization.CultureInfo.InvariantCulture)} {Label(level),-5} {text}{Environment.NewLine}";
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "FATAL",
        _ => level.ToString().ToUpperInvariant(),
    };
}
