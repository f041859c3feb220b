using System.Runtime.InteropServices;
using Xunit;

namespace Sluice.Testing;

/// <summary>
/// A test about what happens as root (PostgreSQL then runs as the <c>postgres</c> OS user, which cannot reach
/// into a 0700 home): skipped, with the reason, when the tests do not run as root — except on CI (<c>CI=true</c>),
/// which runs as root and where a skipped test would hide that the set-up contract went unchecked.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!IsRoot && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "needs root: only then does PostgreSQL run as another OS user than the one running the tests";
        }
    }

    public static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
