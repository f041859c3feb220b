namespace Sluice.Core.Errors;

/// <summary>
/// The one root of every error Sluice reports to a user. The message is written for a person:
/// what happened and, where known, how to fix it. Anything not derived from this type is a bug.
/// </summary>
public class SluiceException : Exception
{
    public SluiceException(ErrorClass errorClass, string message, Exception? inner = null)
        : base(message, inner)
    {
        Class = errorClass;
    }

    public ErrorClass Class { get; }

    /// <summary>Whether repeating the same operation later may succeed.</summary>
    public bool IsRetryable => Class == ErrorClass.Transient;

    /// <summary>For transient errors: how long the other side asked us to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static SluiceException Config(string message) => new(ErrorClass.Config, message);

    public static SluiceException Transient(string message, Exception? inner = null, TimeSpan? retryAfter = null) =>
        new(ErrorClass.Transient, message, inner) { RetryAfter = retryAfter };

    public static SluiceException Fatal(string message, Exception? inner = null) => new(ErrorClass.Fatal, message, inner);
}
