using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Sluice.Server.Logging;

/// <summary>The log of a long-running process: Microsoft.Extensions.Logging's console logger on standard output.</summary>
public static class ConsoleLogging
{
    /// <summary>ISO 8601 in UTC to the millisecond, e.g. <c>2026-05-01T12:00:00.250Z</c>: sorts as text and reads the same on every host.</summary>
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>
    /// A logger factory writing events at <paramref name="minimum"/> and above in <paramref name="format"/>. Dispose it
    /// when the process ends: the console logger writes from a queue of its own, and disposing flushes it.
    /// </summary>
    public static ILoggerFactory Create(LogFormat format, LogLevel minimum) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(minimum);
            if (format == LogFormat.Json)
            {
                builder.AddJsonConsole(options =>
                {
                    options.UseUtcTimestamp = true;
                    options.TimestampFormat = TimestampFormat;
                    options.JsonWriterOptions = new JsonWriterOptions { Indented = false };
                });
            }
            else
            {
                builder.AddConsole(options => options.FormatterName = TextLogFormatter.FormatterName);
                builder.AddConsoleFormatter<TextLogFormatter, ConsoleFormatterOptions>();
            }
        });
}
