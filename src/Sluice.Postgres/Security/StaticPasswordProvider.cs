using Sluice.Core.Configuration;

namespace Sluice.Postgres.Security;

/// <summary><c>password:</c> in the config: the same secret for every login.</summary>
internal sealed class StaticPasswordProvider(Secret password) : IPasswordProvider
{
    public ValueTask<string> GetPasswordAsync(CancellationToken ct) => ValueTask.FromResult(password.Reveal());
}
