using System.Diagnostics;

namespace Sluice.Core.Configuration;

/// <summary>
/// A password, token or key. It prints as <c>********</c> everywhere (logs, exceptions, the
/// debugger); only <see cref="Reveal"/> gives the value, at the one place that sends it.
/// </summary>
[DebuggerDisplay("********")]
public sealed class Secret
{
    private readonly string _value;

    public Secret(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>The value itself. Call it where it is handed to a driver or an HTTP header, nowhere else.</summary>
    public string Reveal() => _value;

    public override string ToString() => "********";
}
