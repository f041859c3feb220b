namespace Sluice.Core.Errors;

/// <summary>
/// How the engine reacts to an error. Errors are classified once, where they are understood
/// (a connector translating its driver's or HTTP client's failure), and the engine acts on the class.
/// </summary>
public enum ErrorClass
{
    /// <summary>The configuration is wrong; the message says which file, key and fix.</summary>
    Config,

    /// <summary>Worth retrying with backoff: a timeout, a dropped connection, a 429 or 5xx.</summary>
    Transient,

    /// <summary>One record was refused; it goes to the dead-letter queue and the rest flows on.</summary>
    RecordRejected,

    /// <summary>The run cannot go on (bad credentials, a missing table); it stops with the message.</summary>
    Fatal,
}
