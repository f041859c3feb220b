using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Core.Engine;

/// <summary>
/// An exception a destination threw that is not a <see cref="SluiceException"/>: a destination reports what it
/// understood as one, so anything else is a bug or an input it never foresaw. From the handling of records it must
/// cost the record that caused it (a dead letter), never the sync.
/// </summary>
internal static class UnexpectedFailure
{
    /// <summary>A cancellation is not unexpected: it says nothing about the records.</summary>
    public static bool Is(Exception e) => e is not SluiceException and not OperationCanceledException;

    /// <summary>A dead letter's reason: the exception's type and message, never its stack trace.</summary>
    public static string Reason(IDestination destination, Exception e) => $"{destination.Description} failed on this record: {e.GetType().Name}: {e.Message}";
}
